package watch

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestOwnFilesNeverTrigger: nixpass's state folder, log folder and config
// file inside a project (the home folder registered on Linux) are neither
// watched nor a trigger; the project's other files still are.
func TestOwnFilesNeverTrigger(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, ".local", "state", "nixpass")
	logs := filepath.Join(dir, "Library", "Logs", "nixpass")
	cfg := filepath.Join(dir, ".config", "nixpass", "config.toml")
	write(t, filepath.Join(state, "history.jsonl"), "{}\n")
	write(t, filepath.Join(logs, "builds", "a", "1.log"), "x")
	write(t, cfg, "")
	w, err := New(Options{Quiet: 100 * time.Millisecond, MaxWait: time.Second, Own: []string{state, logs, cfg}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	if err := w.Add(Spec{Dir: dir, Output: "result.tar.gz"}); err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	for d := range w.dirs {
		if w.own(d) {
			t.Errorf("own folder %s is watched", d)
		}
	}
	w.mu.Unlock()
	for i := 0; i < 20; i++ {
		write(t, filepath.Join(state, "history.jsonl"), "{}\n{}\n")
		write(t, filepath.Join(state, "projects", "p.json"), "{}")
		write(t, filepath.Join(logs, "builds", "a", "2.log"), "y")
		write(t, cfg, "[builder]\n")
		write(t, filepath.Join(filepath.Dir(cfg), ".config.toml4711"), "temp of an atomic write")
	}
	if got := collect(w, 600*time.Millisecond); len(got) != 0 {
		t.Fatalf("nixpass's own writes triggered: %+v", got)
	}
	write(t, filepath.Join(dir, "default.nix"), "{}")
	if got := collect(w, 600*time.Millisecond); len(got) != 1 {
		t.Fatalf("a project change gave %d triggers, want 1", len(got))
	}
}

// TestFileWhereTheFolderWas: a project folder replaced by a file is
// missing, at Add and while watched.
func TestFileWhereTheFolderWas(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "proj")
	write(t, filepath.Join(dir, "default.nix"), "{}")
	w := newTestWatcher(t, 100*time.Millisecond, time.Second)
	w.Add(Spec{Dir: dir})
	os.RemoveAll(dir)
	write(t, dir, "now a file")
	select {
	case e := <-w.States():
		if !e.Missing {
			t.Fatalf("state: %+v", e)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no missing state for a file where the folder was")
	}

	file := filepath.Join(parent, "file")
	write(t, file, "x")
	w.Add(Spec{Dir: file})
	select {
	case e := <-w.States():
		if !e.Missing || e.Dir != file || !strings.Contains(e.Reason, "a file now stands") {
			t.Fatalf("state at Add: %+v", e)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("a file registered as a project is not missing")
	}
}
