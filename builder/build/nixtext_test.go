package build

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nixpass/builder/diagnose"
)

// feed adds a whole text, line by line, as a build reads it.
func (n *nixText) feed(s string) {
	for _, l := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		n.line(l)
	}
}

// noise is n bytes of a chatty builder's lines that no rule reads.
func noise(n int) string {
	const l = "make[2]: compiling module 0123456789 with some flags -O2 -g\n"
	return strings.Repeat(l, n/len(l)+1)
}

// A huge log is diagnosed from what the build keeps of it (head, notable
// middle lines, tail) exactly as from the whole. The bounds are shrunk so
// that each real Nix text, after a head's worth of builder output, is cut
// by builder output inserted at its start, its middle and just before its
// first error (Nix prints its own lines after the build's output, never
// inside an error).
func TestNixTextKeepsDiagnosis(t *testing.T) {
	defer func(h, m, tl, tm int) { nixHeadBytes, nixMiddleBytes, nixTailBytes, nixTailMaxBytes = h, m, tl, tm }(
		nixHeadBytes, nixMiddleBytes, nixTailBytes, nixTailMaxBytes)
	nixHeadBytes, nixMiddleBytes, nixTailBytes, nixTailMaxBytes = 4<<10, 16<<10, 8<<10, 16<<10
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "nix", "*.txt"))
	remote, _ := filepath.Glob(filepath.Join("..", "testdata", "nix", "remote", "*.txt"))
	files = append(files, remote...)
	if len(files) < 10 {
		t.Fatalf("want the real Nix texts in builder/testdata/nix, found %d", len(files))
	}
	head, pad := noise(8<<10), noise(64<<10)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitAfter(string(b), "\n")
		firstErr := len(lines)
		for i, l := range lines {
			if strings.HasPrefix(strings.TrimSpace(l), "error:") {
				firstErr = i
				break
			}
		}
		for _, at := range []int{0, firstErr / 2, firstErr} {
			full := head + strings.Join(lines[:at], "") + pad + strings.Join(lines[at:], "")
			var n nixText
			n.feed(full)
			kept := n.String()
			if len(kept) > nixHeadBytes+nixMiddleBytes+nixTailMaxBytes || len(kept) >= len(full)/2 {
				t.Fatalf("%s: kept %d bytes of %d", f, len(kept), len(full))
			}
			ev := diagnose.Evidence{}
			got, want := diagnose.Diagnose(kept, ev), diagnose.Diagnose(full, ev)
			if got.Kind != want.Kind || got.Message != want.Message || got.Hint != want.Hint {
				t.Errorf("%s, noise before line %d: diagnosis of the kept text\n got %s: %s (%s)\nwant %s: %s (%s)",
					filepath.Base(f), at, got.Kind, got.Message, got.Hint, want.Kind, want.Message, want.Hint)
			}
			if gotA, wantA := diagnose.RemoteAttempts(kept), diagnose.RemoteAttempts(full); len(gotA) != len(wantA) || (len(gotA) > 0 && gotA[0] != wantA[0]) {
				t.Errorf("%s, noise before line %d: remote attempts %v, want %v", filepath.Base(f), at, gotA, wantA)
			}
		}
	}
}
