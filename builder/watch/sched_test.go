package watch

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"nixpass/builder"
	"nixpass/builder/config"
	"nixpass/builder/scheduler"
)

// recordBuilder is a scheduler.Builder that records what it was asked to
// build.
type recordBuilder struct {
	built chan string
}

func (b *recordBuilder) Build(_ context.Context, p builder.Project) *builder.Result {
	b.built <- p.Dir
	return &builder.Result{Project: p.Dir, Kind: builder.KindOK}
}

// TestFSEventsSpellingsBuild (N1): with a backend reporting events as
// FSEvents does, a config written by hand (project and mount reached
// through symlinks, a name in NFC on an NFD disk) drives the real watcher
// and scheduler to build the project, named as the config reads it: for a
// change in the project and for one in its mount. Both as the app reads
// the config (Load, canonical paths) and as an older reader did (Parse,
// the written spellings), so the watcher alone also suffices.
func TestFSEventsSpellingsBuild(t *testing.T) {
	root := realTempDir(t)
	proj := filepath.Join(root, "code", "Cafe\u0301") // NFD on disk
	lib := filepath.Join(root, "shared", "lib")
	for _, d := range []string{proj, lib} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(root, "code"), filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(lib, filepath.Join(proj, "lib-link")); err != nil {
		t.Fatal(err)
	}
	written := filepath.Join(root, "link", "Caf\u00e9") // NFC, through a symlink
	cfgFile := filepath.Join(root, "config.toml")
	text := "[[project]]\npath = \"" + written + "\"\nmounts = [\"lib-link\"]\n"
	if err := os.WriteFile(cfgFile, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, read := range []string{"Load", "Parse"} {
		t.Run(read, func(t *testing.T) {
			var cfg *config.Config
			var err error
			if read == "Load" {
				cfg, err = config.Load(cfgFile)
			} else {
				cfg, err = config.Parse(mustOpen(t, cfgFile), cfgFile)
			}
			if err != nil {
				t.Fatal(err)
			}
			p := cfg.Projects[0]
			var mounts []string
			if read == "Load" {
				mounts = p.MountPaths()
			} else {
				mounts = []string{filepath.Join(p.Path, "lib-link")} // joined, not resolved
			}
			w, err := New(Options{Quiet: 50 * time.Millisecond, backend: newFSEventsLike})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			if err := w.Add(Spec{Dir: p.Path}); err != nil {
				t.Fatal(err)
			}
			for _, m := range mounts {
				if err := w.Add(Spec{Dir: m}); err != nil {
					t.Fatal(err)
				}
			}
			rb := &recordBuilder{built: make(chan string, 16)}
			s := scheduler.New(rb, &builder.Bus{}, scheduler.Options{})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go s.Run(ctx)
			// core's forward: a trigger builds its project, or the
			// projects mounting it.
			go func() {
				for tr := range w.Triggers() {
					if tr.Dir == p.Path || slices.Contains(mounts, tr.Dir) {
						s.Enqueue(builder.Project{Dir: p.Path}, "change")
					}
				}
			}()
			for _, f := range []string{filepath.Join(proj, "default.nix"), filepath.Join(lib, "lib.nix")} {
				write(t, f, read)
				select {
				case got := <-rb.built:
					if got != p.Path {
						t.Errorf("built %+q, want %+q", got, p.Path)
					}
				case <-time.After(3 * time.Second):
					t.Fatalf("a change to %s built nothing", f)
				}
			}
		})
	}
}

func mustOpen(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}
