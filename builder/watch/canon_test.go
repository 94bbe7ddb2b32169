package watch

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
	"golang.org/x/text/unicode/norm"
)

// fseventsLike reports events the way FSEvents does (N1, m3), over the
// recursive fake's real inotify events: every path with its symlinks
// resolved (/private/var for /var), in the spelling the disk holds, names
// decomposed (NFD), and a Remove of the root when the root itself moves
// (RootChanged, as backend_fsevents.go's translate maps it).
type fseventsLike struct {
	*recursiveFake
	out   chan fsnotify.Event
	roots map[string]bool
}

func newFSEventsLike() (backend, error) {
	rf, err := newRecursiveFake()
	if err != nil {
		return nil, err
	}
	b := &fseventsLike{recursiveFake: rf.(*recursiveFake), out: make(chan fsnotify.Event, 1024), roots: map[string]bool{}}
	go func() {
		defer close(b.out)
		for ev := range b.recursiveFake.Events() {
			name := ev.Name
			if real, err := filepath.EvalSymlinks(filepath.Dir(name)); err == nil {
				name = filepath.Join(real, filepath.Base(name))
			}
			ev.Name = norm.NFD.String(name)
			if ev.Has(fsnotify.Rename) || ev.Has(fsnotify.Remove) {
				b.recursiveFake.mu.Lock()
				root := b.roots[ev.Name]
				b.recursiveFake.mu.Unlock()
				if root {
					ev.Op = fsnotify.Remove
				}
			}
			b.out <- ev
		}
	}()
	return b, nil
}

func (b *fseventsLike) Add(dir string) error {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return err
	}
	b.recursiveFake.mu.Lock()
	b.roots[norm.NFD.String(real)] = true
	b.recursiveFake.mu.Unlock()
	return b.recursiveFake.Add(real)
}

func (b *fseventsLike) Events() <-chan fsnotify.Event { return b.out }

var backends = []struct {
	name string
	new  func() (backend, error)
}{
	{"inotify", nil},
	{"fsevents-like", newFSEventsLike},
}

func realTempDir(t *testing.T) string {
	t.Helper()
	d, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func mustRename(t *testing.T, from, to string) {
	t.Helper()
	if err := os.Rename(from, to); err != nil {
		t.Fatal(err)
	}
}

// TestEverySpellingTriggers (N1, m3): a project configured through a
// symlink, in another Unicode form, or unclean, is watched at its real
// folder, and its triggers name it as configured.
func TestEverySpellingTriggers(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			root := realTempDir(t)
			nfd := filepath.Join(root, "Cafe\u0301")  // as HFS+ stores it
			nfc := filepath.Join(root, "Gar\u00e7on") // the fake reports it NFD
			real := filepath.Join(root, "code", "app")
			for _, d := range []string{nfd, nfc, real} {
				if err := os.MkdirAll(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Symlink(filepath.Join(root, "code"), filepath.Join(root, "link")); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(real, filepath.Join(root, "app-link")); err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct{ name, spelled, disk string }{
				{"symlinked parent", filepath.Join(root, "link", "app"), real},
				{"symlinked root", filepath.Join(root, "app-link"), real},
				{"NFC typed, NFD on disk", filepath.Join(root, "Caf\u00e9"), nfd},
				{"NFC on disk, reported NFD", nfc, nfc},
				{"unclean", real + "/./", real},
			} {
				t.Run(tc.name, func(t *testing.T) {
					w, err := New(Options{Quiet: 50 * time.Millisecond, MissingPoll: 50 * time.Millisecond, backend: be.new})
					if err != nil {
						t.Fatal(err)
					}
					defer w.Close()
					if err := w.Add(Spec{Dir: tc.spelled}); err != nil {
						t.Fatal(err)
					}
					write(t, filepath.Join(tc.disk, "sub", "main.go"), "x")
					got := collect(w, 500*time.Millisecond)
					want := filepath.Clean(tc.spelled)
					if len(got) != 1 || got[0].Dir != want {
						t.Fatalf("triggers %+v, want one for %+q", got, want)
					}
					// The sample paths lie below the real folder.
					if p := got[0].Paths[0]; filepath.Dir(filepath.Dir(p)) != tc.disk && filepath.Dir(p) != tc.disk {
						t.Errorf("sample path %+q is not below %+q", p, tc.disk)
					}
				})
			}
		})
	}
}

// TestRootReplacedResumes (m1): a root swapped for another folder while a
// folder stands at its path (`mv proj proj.old; mv proj.new proj`), or a
// parent renamed away and back, is watched again without a restart.
func TestRootReplacedResumes(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			root := realTempDir(t)
			parent := filepath.Join(root, "code")
			proj := filepath.Join(parent, "proj")
			write(t, filepath.Join(proj, "a.go"), "x")
			w, err := New(Options{Quiet: 50 * time.Millisecond, MissingPoll: 50 * time.Millisecond, backend: be.new})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			if err := w.Add(Spec{Dir: proj}); err != nil {
				t.Fatal(err)
			}
			steps := []struct {
				name string
				do   func()
			}{
				{"swapped", func() {
					write(t, filepath.Join(root, "proj.new", "a.go"), "new")
					mustRename(t, proj, filepath.Join(root, "proj.old"))
					mustRename(t, filepath.Join(root, "proj.new"), proj)
				}},
				{"parent away and back", func() {
					mustRename(t, parent, parent+".away")
					mustRename(t, parent+".away", parent)
				}},
			}
			for _, st := range steps {
				st.do()
				collect(w, 400*time.Millisecond) // the swap's own trigger, if any
				write(t, filepath.Join(proj, "b.go"), st.name)
				got := collect(w, 500*time.Millisecond)
				if len(got) != 1 || got[0].Dir != proj {
					t.Fatalf("after %s: triggers %+v, want one for %s", st.name, got, proj)
				}
				// Writes into the old folder are not the project's.
				if st.name == "swapped" {
					write(t, filepath.Join(root, "proj.old", "c.go"), "x")
					if got := collect(w, 400*time.Millisecond); len(got) != 0 {
						t.Fatalf("a write in the replaced folder triggered: %+v", got)
					}
				}
			}
		})
	}
}

func TestUnderRoot(t *testing.T) {
	for _, tc := range []struct {
		root, path, want string
		ok               bool
	}{
		{"/a/Caf\u00e9", "/a/Cafe\u0301/x/y", "/a/Caf\u00e9/x/y", true},
		{"/a/b", "/a/b", "/a/b", true},
		{"/a/b", "/a/bc/x", "", false},
		{"/a/b", "/a", "", false},
		{"/", "/x", "/x", true},
	} {
		got, ok := underRoot(tc.root, tc.path)
		if got != tc.want || ok != tc.ok {
			t.Errorf("underRoot(%+q, %+q) = %+q, %v; want %+q, %v", tc.root, tc.path, got, ok, tc.want, tc.ok)
		}
	}
}
