package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestListSaysWhichPathIsWatched (N1): a config naming a project through
// a symlink is read canonically; `nixpass list` names the real folder and
// says how the config spells it, in text and in JSON ("written"); the
// config file is not rewritten.
func TestListSaysWhichPathIsWatched(t *testing.T) {
	w := newWorld(t)
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	real := filepath.Join(root, "code", "app")
	if err := os.MkdirAll(real, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "code"), filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	written := filepath.Join(root, "link", "app")
	text := "# hand-written\n[[project]]\npath = \"" + written + "\"\n"
	w.writeConfig(text)
	o := w.run("list")
	if o.code != 0 || !strings.Contains(o.stdout, real+" is written \""+written+"\" in the config; nixpass watches and builds it as "+real) {
		t.Errorf("list: %v", o)
	}
	o = w.run("list", "--json")
	var rep struct {
		Projects []struct{ Path, Written string }
	}
	err = json.Unmarshal([]byte(o.stdout), &rep)
	if got := rep.Projects; err != nil || len(got) != 1 || got[0].Path != real || got[0].Written != written {
		t.Errorf("list --json = %s (%v); want path %q written %q", o.stdout, err, real, written)
	}
	if b, _ := os.ReadFile(w.config); string(b) != text {
		t.Errorf("config rewritten:\n%s", b)
	}
}
