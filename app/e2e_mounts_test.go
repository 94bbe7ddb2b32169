package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"nixpass/builder/multipass/multipasstest"
)

// monorepo makes mono/app, whose default.nix imports ../lib/image.nix,
// and mono/lib holding the offline image builder.
func (w *world) monorepo(tag string) (app, lib string) {
	w.t.Helper()
	lib = w.project(filepath.Join("mono", "lib"), "{}\n")
	app = filepath.Join(w.root, "mono", "app")
	if err := os.MkdirAll(app, 0o755); err != nil {
		w.t.Fatal(err)
	}
	w.setNix(app, fmt.Sprintf("import ../lib/image.nix { tag = %q; }\n", tag))
	return app, lib
}

// A monorepo project with --mount ../lib builds in the VM, through the
// fake multipass (whose exec runs here) and the real binary: lib is
// mounted at its own path beside the project.
func TestMonorepoMountBuildsInTheVM(t *testing.T) {
	needNix(t)
	w := newWorld(t)
	fake := multipasstest.Build(t)
	env, _, logPath := multipasstest.NewWorld(t, multipasstest.FakeInstance{Name: "nixpass", State: "Running", CPUs: 2, Memory: 4 << 30, Disk: 20 << 30})
	w.env = append(append(w.env, env...), "NIXPASS_GUEST_SCRIPT_DIR="+t.TempDir())
	w.writeConfig(fmt.Sprintf("[builder]\nbackend = \"multipass\"\nmultipass = %q\n", fake))
	app, lib := w.monorepo("e2e-mono")
	if o := w.run("add", app, "--mount", "../lib"); o.code != 0 {
		t.Fatalf("add: %v", o)
	}
	o := w.run("build", app, "--json")
	if o.code != 0 || o.res.Image != "offline:e2e-mono" {
		t.Fatalf("build: %v", o)
	}
	calls := multipasstest.Calls(t, logPath)
	for _, want := range [][]string{{"mount", app, "nixpass:" + app}, {"mount", lib, "nixpass:" + lib}} {
		if !slices.ContainsFunc(calls, func(c []string) bool { return slices.Equal(c, want) }) {
			t.Errorf("no %q in %q", want, calls)
		}
	}
	// Warm: the mounts are known from info, nothing is mounted again.
	before := len(multipasstest.Calls(t, logPath))
	if o := w.run("build", app, "--json"); o.code != 0 || !o.res.UpToDate {
		t.Fatalf("second build: %v", o)
	}
	if n := len(multipasstest.Calls(t, logPath)) - before; n != 2 {
		t.Errorf("a warm build with a mount took %d multipass calls, want 2: %q", n, multipasstest.Calls(t, logPath)[before:])
	}
}

// A change in a mounted folder rebuilds the project; an ignored file in
// it does not.
func TestHeadlessRebuildsOnMountedFolderChange(t *testing.T) {
	needNix(t)
	w := newWorld(t)
	w.writeConfig("[scheduler]\nquiet = \"300ms\"\nmax_wait = \"5s\"\n")
	app, lib := w.monorepo("e2e-mono-watch")
	if err := os.WriteFile(filepath.Join(lib, ".gitignore"), []byte("scratch/\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(lib, "scratch"), 0o755)
	if o := w.run("add", app, "--mount", "../lib"); o.code != 0 {
		t.Fatalf("add: %v", o)
	}
	// Built once, so the app does not build it at start (a project never
	// built is built when the app starts).
	if o := w.run("build", app, "--json"); o.code != 0 {
		t.Fatalf("first build: %v", o)
	}
	h := w.startHeadless()
	os.WriteFile(filepath.Join(lib, "scratch", "junk.txt"), []byte("x"), 0o644)
	time.Sleep(1200 * time.Millisecond)
	if n := h.count("BuildStarted", ""); n != 0 {
		t.Fatalf("an ignored file in the mounted folder started %d builds", n)
	}
	os.WriteFile(filepath.Join(lib, "notes.txt"), []byte("changed"), 0o644)
	h.waitFor("the build after a change in ../lib", func() bool { return h.count("BuildFinished", "e2e-mono-watch") == 1 })
	if n := h.count("ProjectChanged", lib); n != 0 {
		t.Errorf("the mounted folder was reported as a project %d times", n)
	}
}
