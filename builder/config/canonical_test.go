package config

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCanonical(t *testing.T) {
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	real := filepath.Join(root, "Src", "My App")
	if err := os.MkdirAll(real, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(root, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ in, want string }{
		{real, real},
		{real + "/", real},
		{link, real},                      // a symlinked project root is resolved
		{filepath.Join(link, ".."), root}, // ".." is lexical, as in filepath.Abs
		{filepath.Join(root, "missing"), filepath.Join(root, "missing")},
	} {
		got, err := Canonical(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Canonical(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// TestRealCase: on a case-insensitive file system ~/src/my app and
// ~/Src/My App are one folder; realCase spells it as the listing does.
// (Run here on a case-sensitive one, where the lower-case spelling does
// not even exist, the lookup is the same.)
func TestRealCase(t *testing.T) {
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "Src", "My App"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ in, want string }{
		{filepath.Join(root, "src", "my app"), filepath.Join(root, "Src", "My App")},
		{filepath.Join(root, "SRC", "My App"), filepath.Join(root, "Src", "My App")},
		{filepath.Join(root, "Src", "My App"), filepath.Join(root, "Src", "My App")},
		{filepath.Join(root, "src", "nope", "x"), filepath.Join(root, "Src", "nope", "x")},
	} {
		if got := realCase(tc.in); got != tc.want {
			t.Errorf("realCase(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
