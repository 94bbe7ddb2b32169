package build

import (
	"os"
	"path/filepath"
	"testing"
)

// TestNixFilesContain: the hash-mismatch hint looks in the project's .nix
// files, not in ignored folders or other files.
func TestNixFilesContain(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, body string) {
		t.Helper()
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("nix/deps.nix", `{ sha256 = "0000"; }`)
	write("node_modules/x/y.nix", `"in-node-modules"`)
	write(".git/z.nix", `"in-git"`)
	write("notes.txt", `"in-text"`)
	has := nixFilesContain(dir)
	for text, want := range map[string]bool{`"0000"`: true, "in-node-modules": false, "in-git": false, "in-text": false, "absent": false} {
		if got := has(text); got != want {
			t.Errorf("contains %q = %v, want %v", text, got, want)
		}
	}
}
