package diagnose

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nixpass/builder"
)

// The line nixpass writes where it cut a long stored log changes no
// diagnosis, wherever it falls (explain reads stored logs).
func TestCutMarkerIgnored(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "nix", "*.txt"))
	remote, _ := filepath.Glob(filepath.Join("..", "testdata", "nix", "remote", "*.txt"))
	files = append(files, remote...)
	if len(files) < 10 {
		t.Fatalf("want the real Nix texts, found %d", len(files))
	}
	marker := builder.LogCutPrefix + " 123456 bytes of build output left out here\n"
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitAfter(string(b), "\n")
		want := Diagnose(string(b), Evidence{})
		for at := range lines {
			text := strings.Join(lines[:at], "") + marker + strings.Join(lines[at:], "")
			got := Diagnose(text, Evidence{})
			if got.Kind != want.Kind || got.Message != want.Message || got.Hint != want.Hint {
				t.Errorf("%s, marker before line %d:\n got %s: %s\nwant %s: %s", filepath.Base(f), at, got.Kind, got.Message, want.Kind, want.Message)
			}
			if a, w := RemoteAttempts(text), RemoteAttempts(string(b)); len(a) != len(w) || (len(a) > 0 && a[0] != w[0]) {
				t.Errorf("%s, marker before line %d: remote attempts %v, want %v", filepath.Base(f), at, a, w)
			}
		}
	}
}
