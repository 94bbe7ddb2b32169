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
	was := caseInsensitiveFS
	caseInsensitiveFS = true
	defer func() { caseInsensitiveFS = was }()
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

// TestCanonicalUnicodeForm (m3): a folder stored decomposed (NFD, as HFS+
// stores it and FSEvents reports it) but typed composed (NFC) is spelled
// as the disk holds it; one that exists as typed is kept, on any file
// system. Case is folded only on a case-insensitive one.
func TestCanonicalUnicodeForm(t *testing.T) {
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	was := caseInsensitiveFS
	defer func() { caseInsensitiveFS = was }()
	nfd, nfc := "Cafe\u0301", "Caf\u00e9"
	if err := os.MkdirAll(filepath.Join(root, nfd, "src"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "Both"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ in, want string }{
		{filepath.Join(root, nfc, "src"), filepath.Join(root, nfd, "src")},
		{filepath.Join(root, nfd, "src"), filepath.Join(root, nfd, "src")},
		{filepath.Join(root, "both"), filepath.Join(root, "both")}, // case-sensitive here
	} {
		if got, err := Canonical(tc.in); err != nil || got != tc.want {
			t.Errorf("Canonical(%+q) = %+q, %v; want %+q", tc.in, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		a, b string
		fold bool
		want bool
	}{
		{nfc, nfd, false, true},
		{nfc, "cafe\u0301", false, false},
		{nfc, "cafe\u0301", true, true},
		{"a", "b", true, false},
	} {
		caseInsensitiveFS = tc.fold
		if got := SameName(tc.a, tc.b); got != tc.want {
			t.Errorf("SameName(%+q, %+q) with fold=%v = %v, want %v", tc.a, tc.b, tc.fold, got, tc.want)
		}
	}
}
