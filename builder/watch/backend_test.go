package watch

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
)

// recursiveFake plays a recursive backend (FSEvents) on Linux: Add(root)
// covers the whole tree, ignored folders included, and new folders are
// covered as they appear, so the Watcher's recursive path (project by
// prefix, filtering inside ignored folders, the root going away) runs
// here against real file-system events.
type recursiveFake struct {
	fs   *fsnotify.Watcher
	out  chan fsnotify.Event
	mu   sync.Mutex
	dirs map[string]bool
	done chan struct{}
}

func newRecursiveFake() (backend, error) {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	b := &recursiveFake{fs: fw, out: make(chan fsnotify.Event, 1024), dirs: map[string]bool{}, done: make(chan struct{})}
	go b.forward()
	return b, nil
}

func (b *recursiveFake) addTree(root string) error {
	return filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.dirs[path] {
			return nil
		}
		if err := b.fs.Add(path); err != nil {
			return err
		}
		b.dirs[path] = true
		return nil
	})
}

func (b *recursiveFake) forward() {
	defer close(b.done)
	defer close(b.out)
	for ev := range b.fs.Events {
		if ev.Has(fsnotify.Create) {
			if st, err := os.Lstat(ev.Name); err == nil && st.IsDir() {
				_ = b.addTree(ev.Name)
			}
		}
		b.out <- ev
	}
}

func (b *recursiveFake) Add(dir string) error {
	if _, err := os.Stat(dir); err != nil {
		return err
	}
	return b.addTree(dir)
}

func (b *recursiveFake) Remove(dir string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for d := range b.dirs {
		if d == dir || strings.HasPrefix(d, dir+"/") {
			_ = b.fs.Remove(d)
			delete(b.dirs, d)
		}
	}
	return nil
}

func (b *recursiveFake) Events() <-chan fsnotify.Event { return b.out }
func (b *recursiveFake) Errors() <-chan error          { return b.fs.Errors }
func (b *recursiveFake) Close() error                  { err := b.fs.Close(); <-b.done; return err }
func (b *recursiveFake) Recursive() bool               { return true }
func (b *recursiveFake) PerEntryFDs() bool             { return false }

// TestSharedWithRecursiveBackend runs the watcher's behaviour tests
// against a recursive backend: the ignore rules and debounce must not
// depend on which backend feeds them.
func TestSharedWithRecursiveBackend(t *testing.T) {
	testBackend = newRecursiveFake
	defer func() { testBackend = nil }()
	for _, tc := range []struct {
		name string
		f    func(*testing.T)
	}{
		{"Burst", TestBurstIsOneTrigger},
		{"MaxWait", TestMaxWaitUnderSteadyStream},
		{"Ignored", TestIgnoredWritesNeverTrigger},
		{"GitignoreReload", TestGitignoreReload},
		{"NewNested", TestNewNestedDirectories},
		{"Missing", TestMissingFolderComesBack},
		{"FlakeGit", TestFlakeGitState},
	} {
		t.Run(tc.name, tc.f)
	}
}

// TestRecursiveWatchesOnlyTheRoot: a recursive backend is asked for the
// project's root alone, however many folders the tree has.
func TestRecursiveWatchesOnlyTheRoot(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 20; i++ {
		write(t, filepath.Join(dir, fmt.Sprintf("d%d", i), "sub", "f.txt"), "x")
	}
	w, err := New(Options{Quiet: 50 * time.Millisecond, backend: newRecursiveFake})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Add(Spec{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	if n := w.WatchCount(); n != 1 {
		t.Errorf("WatchCount = %d, want 1 (one stream per project tree)", n)
	}
}

// TestFDBudget: with a budget (a fake limit here; kqueue's on a Mac), a
// project whose folders and files pass it is not watched at all, its
// descriptors are given back, the error says why and what to do, and a
// small project still fits afterwards.
func TestFDBudget(t *testing.T) {
	big, small := t.TempDir(), t.TempDir()
	for i := 0; i < 120; i++ {
		write(t, filepath.Join(big, fmt.Sprintf("d%d", i%6), fmt.Sprintf("f%d", i)), "x")
	}
	write(t, filepath.Join(small, "a", "b.txt"), "x")
	w, err := New(Options{Quiet: 50 * time.Millisecond, FDBudget: 60})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	err = w.Add(Spec{Dir: big})
	var be *BudgetError
	if !errors.As(err, &be) || be.Dir != big || be.Limit != 60 {
		t.Fatalf("Add(big) = %v, want a *BudgetError for %s", err, big)
	}
	for _, want := range []string{"too big to watch with kqueue", ".gitignore", "FSEvents", "auto-build is off"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if n := w.WatchCount(); n != 0 || w.budget.used != 0 {
		t.Errorf("after the refusal: %d watches, %d descriptors held; want none", n, w.budget.used)
	}
	if err := w.Add(Spec{Dir: small}); err != nil {
		t.Fatalf("a small project no longer fits: %v", err)
	}
	// small: its root (1 + 1 entry) and a (1 + 1 entry).
	if w.budget.used != 4 {
		t.Errorf("budget used = %d, want 4", w.budget.used)
	}
	if err := w.Remove(small); err != nil || w.budget.used != 0 {
		t.Errorf("after Remove: used = %d (%v), want 0", w.budget.used, err)
	}
	// Ignored folders cost nothing: with node_modules ignored the big tree's
	// .gitignore'd part is never opened.
	write(t, filepath.Join(small, ".gitignore"), "node_modules/\n")
	for i := 0; i < 200; i++ {
		write(t, filepath.Join(small, "node_modules", fmt.Sprintf("m%d", i)), "x")
	}
	if err := w.Add(Spec{Dir: small}); err != nil {
		t.Fatalf("ignored files were counted: %v", err)
	}
}

func TestDefaultFDBudget(t *testing.T) {
	for _, tc := range []struct {
		soft uint64
		want int
	}{{256, 64}, {10240, 2560}, {24576, 4096}, {1 << 20, 4096}, {100, 64}} {
		if got := defaultFDBudget(tc.soft); got != tc.want {
			t.Errorf("defaultFDBudget(%d) = %d, want %d", tc.soft, got, tc.want)
		}
	}
}

func TestPermissionErrorHasAHint(t *testing.T) {
	err := limitError("/p/src", fmt.Errorf("open: %w", syscall.EPERM))
	if err == nil || !strings.Contains(err.Error(), "/p/src") || !strings.Contains(err.Error(), permissionHint()) {
		t.Errorf("limitError(EPERM) = %v, want the folder and %q", err, permissionHint())
	}
}

// TestRecursiveNestedProjects: with one stream per tree, a change inside a
// project nested in another belongs to the inner one only.
func TestRecursiveNestedProjects(t *testing.T) {
	outer := t.TempDir()
	inner := filepath.Join(outer, "services", "api")
	write(t, filepath.Join(inner, "main.go"), "x")
	write(t, filepath.Join(outer, ".gitignore"), "services/\n")
	w, err := New(Options{Quiet: 100 * time.Millisecond, backend: newRecursiveFake})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, d := range []string{outer, inner} {
		if err := w.Add(Spec{Dir: d}); err != nil {
			t.Fatal(err)
		}
	}
	write(t, filepath.Join(inner, "main.go"), "y")
	got := collect(w, 600*time.Millisecond)
	if len(got) != 1 || got[0].Dir != inner {
		t.Fatalf("triggers %+v, want one for %s", got, inner)
	}
}
