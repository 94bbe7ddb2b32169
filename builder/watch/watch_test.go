package watch

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// testBackend, when set, replaces the platform's backend in the shared
// tests (see TestSharedWithRecursiveBackend).
var testBackend func() (backend, error)

func newTestWatcher(t *testing.T, quiet, maxWait time.Duration) *Watcher {
	t.Helper()
	w, err := New(Options{Quiet: quiet, MaxWait: maxWait, MissingPoll: 50 * time.Millisecond, backend: testBackend})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// collect gathers triggers for d.
func collect(w *Watcher, d time.Duration) []Trigger {
	var got []Trigger
	deadline := time.After(d)
	for {
		select {
		case tr := <-w.Triggers():
			got = append(got, tr)
		case <-deadline:
			return got
		}
	}
}

func TestBurstIsOneTrigger(t *testing.T) {
	dir := t.TempDir()
	w := newTestWatcher(t, 200*time.Millisecond, 5*time.Second)
	if err := w.Add(Spec{Dir: dir, Output: "result.tar.gz"}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2000; i++ {
		write(t, filepath.Join(dir, fmt.Sprintf("f%d.txt", i%50)), fmt.Sprint(i))
	}
	got := collect(w, time.Second)
	if len(got) != 1 || got[0].Count < 50 || got[0].Dir != dir {
		t.Fatalf("got %d triggers (%+v), want 1", len(got), got)
	}
}

func TestMaxWaitUnderSteadyStream(t *testing.T) {
	dir := t.TempDir()
	w := newTestWatcher(t, 300*time.Millisecond, 800*time.Millisecond)
	w.Add(Spec{Dir: dir, Output: "result.tar.gz"})
	start := time.Now()
	done := make(chan []Trigger)
	go func() { done <- collect(w, 2500*time.Millisecond) }()
	for time.Since(start) < 2*time.Second {
		write(t, filepath.Join(dir, "a.txt"), time.Now().String())
		time.Sleep(50 * time.Millisecond)
	}
	got := <-done
	if len(got) < 2 {
		t.Fatalf("a steady stream gave %d triggers, want at least 2", len(got))
	}
}

func TestIgnoredWritesNeverTrigger(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, ".gitignore"), "node_modules/\n*.log\n!keep.log\n/build\n**/gen/**\n")
	write(t, filepath.Join(dir, "node_modules", "x", "y.js"), "")
	write(t, filepath.Join(dir, "build", "a"), "")
	write(t, filepath.Join(dir, "src", "gen", "z.go"), "")
	w := newTestWatcher(t, 100*time.Millisecond, time.Second)
	w.Add(Spec{Dir: dir, Output: "result.tar.gz"})
	// The root and src: node_modules, build and src/gen (whose whole
	// content **/gen/** ignores) get none. (A recursive backend watches
	// the root alone; the writes below check it filters the rest.)
	if n := w.WatchCount(); n != 2 && !w.fw.Recursive() {
		t.Errorf("WatchCount = %d, want 2", n)
	}
	for _, d := range []string{"node_modules", "node_modules/x", "build"} {
		w.mu.Lock()
		_, watched := w.dirs[filepath.Join(dir, d)]
		w.mu.Unlock()
		if watched && !w.fw.Recursive() {
			t.Errorf("%s is ignored but watched", d)
		}
	}
	for _, f := range []string{"result.tar.gz", ".result.tar.gz.nixpass-tmp.abc", "x.log", "notes.txt~", ".#notes.txt", ".notes.txt.swp", "4913", "node_modules/x/y.js", "build/a", ".direnv/env", "result-2",
		// Finder's own files (m2).
		".DS_Store", "src/.DS_Store", "._main.go", "Icon\r", ".Spotlight-V100/Store-V2/x", ".Trashes/501/f", ".fseventsd/0001"} {
		write(t, filepath.Join(dir, f), "x")
	}
	os.Chmod(filepath.Join(dir, ".gitignore"), 0o600)
	if got := collect(w, 600*time.Millisecond); len(got) != 0 {
		t.Fatalf("ignored writes triggered: %+v", got)
	}
	write(t, filepath.Join(dir, "keep.log"), "x")
	if got := collect(w, 600*time.Millisecond); len(got) != 1 {
		t.Fatalf("negated pattern: %d triggers", len(got))
	}
}

func TestGitignoreReload(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, ".gitignore"), "vendor/\n")
	write(t, filepath.Join(dir, "vendor", "a.go"), "")
	w := newTestWatcher(t, 100*time.Millisecond, time.Second)
	w.Add(Spec{Dir: dir})
	write(t, filepath.Join(dir, ".gitignore"), "# nothing ignored\n")
	collect(w, 500*time.Millisecond)
	w.mu.Lock()
	_, watched := w.dirs[filepath.Join(dir, "vendor")]
	w.mu.Unlock()
	if !watched && !w.fw.Recursive() {
		t.Fatal("a folder un-ignored by a .gitignore change is not watched")
	}
	write(t, filepath.Join(dir, "vendor", "a.go"), "package a")
	if got := collect(w, 500*time.Millisecond); len(got) != 1 {
		t.Fatalf("got %d triggers", len(got))
	}
}

func TestNewNestedDirectories(t *testing.T) {
	dir := t.TempDir()
	w := newTestWatcher(t, 150*time.Millisecond, time.Second)
	w.Add(Spec{Dir: dir})
	deep := filepath.Join(dir, "a", "b", "c")
	write(t, filepath.Join(deep, "new.nix"), "{}")
	got := collect(w, 600*time.Millisecond)
	if len(got) != 1 {
		t.Fatalf("got %d triggers", len(got))
	}
	// Writes in the new folder are seen too: it is watched.
	write(t, filepath.Join(deep, "later.nix"), "{}")
	if got := collect(w, 600*time.Millisecond); len(got) != 1 {
		t.Fatalf("write in new folder: %d triggers", len(got))
	}
	// Symlinks are not followed.
	outside := t.TempDir()
	os.Symlink(outside, filepath.Join(dir, "link"))
	collect(w, 400*time.Millisecond)
	write(t, filepath.Join(outside, "x"), "")
	if got := collect(w, 400*time.Millisecond); len(got) != 0 {
		t.Fatalf("a symlinked folder was followed: %+v", got)
	}
}

func TestMissingFolderComesBack(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "proj")
	write(t, filepath.Join(dir, "default.nix"), "{}")
	w := newTestWatcher(t, 100*time.Millisecond, time.Second)
	w.Add(Spec{Dir: dir})
	os.RemoveAll(dir)
	select {
	case e := <-w.States():
		if !e.Missing {
			t.Fatalf("first state: %+v", e)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no missing state")
	}
	write(t, filepath.Join(dir, "default.nix"), "{}")
	select {
	case e := <-w.States():
		if e.Missing {
			t.Fatalf("second state: %+v", e)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("folder return not noticed")
	}
	if got := collect(w, 500*time.Millisecond); len(got) != 1 {
		t.Fatalf("return should trigger once, got %d", len(got))
	}
	write(t, filepath.Join(dir, "x.nix"), "{}")
	if got := collect(w, 500*time.Millisecond); len(got) != 1 {
		t.Fatalf("after return: %d triggers", len(got))
	}
}

func TestFlakeGitState(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, ".git", "HEAD"), "ref: refs/heads/main\n")
	write(t, filepath.Join(dir, ".git", "objects", "ab", "cd"), "")
	w := newTestWatcher(t, 100*time.Millisecond, time.Second)
	w.Add(Spec{Dir: dir, Flake: true})
	write(t, filepath.Join(dir, ".git", "objects", "ab", "ef"), "")
	if got := collect(w, 400*time.Millisecond); len(got) != 0 {
		t.Fatalf(".git/objects triggered: %+v", got)
	}
	write(t, filepath.Join(dir, ".git", "index"), "x")
	if got := collect(w, 400*time.Millisecond); len(got) != 1 {
		t.Fatalf(".git/index: %d triggers", len(got))
	}
	w.Remove(dir)
	write(t, filepath.Join(dir, "a"), "")
	if got := collect(w, 400*time.Millisecond); len(got) != 0 {
		t.Fatalf("removed project triggered: %+v", got)
	}
}
