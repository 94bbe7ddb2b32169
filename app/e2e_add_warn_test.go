package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAddWarnsAboutUserInfo: add accepts a flake whose URL carries a
// token, warns (pointing at netrc) and prints it masked; list shows it
// masked; the config add writes is private.
func TestAddWarnsAboutUserInfo(t *testing.T) {
	w := newWorld(t)
	dir := filepath.Join(w.root, "p")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Dir(w.config)); err != nil {
		t.Fatal(err)
	}
	o := w.run("add", dir, "--flake", "git+https://oauth2:"+planted+"@gitlab.example.com/a/b.git#image")
	if o.code != 0 {
		t.Fatalf("add: %v", o)
	}
	if !strings.Contains(o.stderr, "nixpass add: warning: flake: git+https://***@gitlab.example.com/a/b.git#image carries a user name or token") ||
		!strings.Contains(o.stderr, "netrc") {
		t.Errorf("add did not warn about the token:\n%v", o)
	}
	if !strings.Contains(o.stdout, "git+https://***@gitlab.example.com") {
		t.Errorf("add does not print the masked flake:\n%v", o)
	}
	l := w.run("list")
	if !strings.Contains(l.stderr, "carries a user name or token") {
		t.Errorf("config load did not warn:\n%v", l)
	}
	for _, text := range []string{o.stdout, o.stderr, l.stdout, l.stderr} {
		if strings.Contains(text, planted) {
			t.Errorf("add or list shows the token:\n%s", text)
		}
	}
	for p, want := range map[string]os.FileMode{w.config: 0o600, filepath.Dir(w.config): 0o700} {
		if st, err := os.Stat(p); err != nil || st.Mode().Perm() != want {
			t.Errorf("%s: %v, want mode %04o", p, st.Mode().Perm(), want)
		}
	}
}
