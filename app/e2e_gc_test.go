//go:build linux

package main

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"nixpass/builder"
	"nixpass/builder/multipass/multipasstest"
	"nixpass/builder/store"
)

// gcWorld is a VM world (the fake multipass, whose exec runs here) whose
// Nix store is a real one of its own: every nixpass (and nix-store) runs
// in a private mount namespace where /nix is a tmpfs of a known size, used
// as root without a daemon, so free space before and after a collection
// is measured on it alone and no other test's store paths are collected.
// (A store with another root, local?root=DIR, would not do: the build
// script reads the output at its /nix/store path.)
type gcWorld struct {
	*world
	storeRoot, guestDir, fake, fakeLog string
}

func newGCWorld(t *testing.T) *gcWorld {
	needNix(t)
	if os.Geteuid() != 0 {
		ciMissing(t, "root (to mount the tmpfs that holds the test's own Nix store)")
	}
	w := newWorld(t)
	root := t.TempDir()
	if err := syscall.Mount("tmpfs", root, "tmpfs", 0, "size=384m,mode=0755"); err != nil {
		t.Fatalf("mount a tmpfs for the store: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(root, syscall.MNT_DETACH) })
	fake := multipasstest.Build(t)
	env, _, fakeLog := multipasstest.NewWorld(t, multipasstest.FakeInstance{Name: "nixpass", State: "Running", CPUs: 2, Memory: 4 << 30, Disk: 20 << 30})
	g := &gcWorld{world: w, storeRoot: root, guestDir: t.TempDir(), fake: fake, fakeLog: fakeLog}
	// Builds as root, still sandboxed: the host's build users belong to
	// its nix-daemon, which kills any process of a build user it takes.
	w.env = append(append(w.env, env...), "NIXPASS_GUEST_SCRIPT_DIR="+g.guestDir, "NIX_REMOTE=local",
		"NIX_CONFIG=substituters =\nbuild-users-group =\n")
	return g
}

// inStore is argv run with the test's store at /nix.
func (g *gcWorld) inStore(argv ...string) *exec.Cmd {
	// TMPDIR, where Nix 2.8 makes build folders, is on the same tmpfs:
	// a build folder that fills up fills the store's disk, as in the VM.
	cmd := exec.Command("unshare", append([]string{"--mount", "sh", "-c",
		`mount --make-rprivate / && mount --bind "$0" /nix && mkdir -p /nix/tmp && TMPDIR=/nix/tmp exec "$@"`, g.storeRoot}, argv...)...)
	cmd.Env = g.env
	return cmd
}

func (g *gcWorld) run(args ...string) outcome {
	g.t.Helper()
	return g.runCmd(g.inStore(append([]string{nixpassBin}, args...)...))
}

func (g *gcWorld) config(vm, dir string) {
	g.writeConfig(fmt.Sprintf("[builder]\nbackend = \"multipass\"\nmultipass = %q\n\n[vm]\n%s\n[[project]]\npath = %q\n", g.fake, vm, dir))
}

// free is the free space on the store's tmpfs.
func (g *gcWorld) free() int64 {
	var st syscall.Statfs_t
	if err := syscall.Statfs(g.storeRoot, &st); err != nil {
		g.t.Fatal(err)
	}
	return int64(st.Bavail) * st.Bsize
}

// garbage adds n random bytes to the store, referenced by nothing.
func (g *gcWorld) garbage(n int) string {
	g.t.Helper()
	f := filepath.Join(g.t.TempDir(), "garbage")
	b := make([]byte, n)
	_, _ = rand.Read(b)
	if err := os.WriteFile(f, b, 0o644); err != nil {
		g.t.Fatal(err)
	}
	out, err := g.inStore("nix-store", "--add", f).Output()
	if err != nil {
		g.t.Fatalf("nix-store --add: %v", err)
	}
	p := strings.TrimSpace(string(out))
	if !g.present(p) {
		g.t.Fatalf("%s is not in the store after nix-store --add", p)
	}
	return p
}

// present reports whether store path p is in the test's store.
func (g *gcWorld) present(p string) bool {
	_, err := os.Lstat(filepath.Join(g.storeRoot, strings.TrimPrefix(p, "/nix/")))
	return err == nil
}

// Garbage collection in the VM against a real store: `nixpass vm gc`
// frees the garbage and says how much, the registered project's last
// output (a root the build made) stays, and the next build is up to date;
// a build that finds less than min_free free collects first, inside its
// own exec; removing the project drops its root.
func TestVMGarbageCollectionKeepsProjects(t *testing.T) {
	g := newGCWorld(t)
	app := g.project("app", imageNix("e2e-gc", ""))
	g.config("min_free = \"1M\"\nmax_free = \"2M\"\n", app)
	o := g.run("build", app, "--json")
	if o.code != 0 || o.res.StorePath == "" {
		t.Fatalf("build: %v", o)
	}
	out := o.res.StorePath
	link := filepath.Join(g.guestDir, "roots", store.RootName(app, ""))
	if got, err := os.Readlink(link); err != nil || got != out {
		t.Fatalf("root %s -> %q (%v), want %s", link, got, err, out)
	}

	junk := g.garbage(32 << 20)
	before := g.free()
	o = g.run("vm", "gc", "--json")
	var rep gcReport
	if o.code != 0 || json.Unmarshal([]byte(o.stdout), &rep) != nil {
		t.Fatalf("vm gc: %v", o)
	}
	after := g.free()
	if !rep.Collected || rep.Freed < 32<<20 || after-before < 32<<20 {
		t.Errorf("vm gc freed %d bytes (the store's free space went from %d to %d), want at least 32 MiB both ways", rep.Freed, before, after)
	}
	if rep.Free != after {
		t.Logf("vm gc says %d free, statfs %d (df rounds to KiB)", rep.Free, after)
	}
	if g.present(junk) {
		t.Errorf("the garbage %s survived vm gc", junk)
	}
	if !g.present(out) {
		t.Fatalf("vm gc collected the project's last output %s", out)
	}
	if o := g.run("build", app, "--json"); o.code != 0 || !o.res.UpToDate {
		t.Fatalf("the build after vm gc is not up to date: %v", o)
	}

	// Less than min_free free: the build collects first, and is still
	// up to date.
	g.config("min_free = \"1G\"\nmax_free = \"2G\"\n", app)
	junk = g.garbage(16 << 20)
	o = g.run("build", app, "--json")
	if o.code != 0 || !o.res.UpToDate {
		t.Fatalf("build below min_free: %v", o)
	}
	if g.present(junk) {
		t.Errorf("a build below min_free left the garbage %s", junk)
	}
	if log := string(readFile(t, o.res.Log)); !strings.Contains(log, "collected garbage: freed") {
		t.Errorf("the build's log does not say it collected:\n%s", log)
	}

	// Removed: the next collection drops its root, then its output.
	if o := g.run("remove", app); o.code != 0 {
		t.Fatalf("remove: %v", o)
	}
	if o := g.run("vm", "gc", "--json"); o.code != 0 {
		t.Fatalf("vm gc after remove: %v", o)
	}
	if _, err := os.Lstat(link); err == nil {
		t.Errorf("the removed project's root %s is still there", link)
	}
	if g.present(out) {
		t.Errorf("the removed project's output %s survived vm gc", out)
	}
}

// A VM build whose build folder fills the disk fails with disk_full,
// collects garbage and builds once more, inside the same kind of exec;
// the result says what nixpass did.
func TestVMDiskFullCollectsAndRetriesOnce(t *testing.T) {
	g := newGCWorld(t)
	// 200 MiB in the build folder: it fits once the garbage is gone.
	app := g.project("app", imageNix("e2e-full", "dd if=/dev/zero of=scratch bs=1M count=200; rm -f scratch"))
	g.config("min_free = \"1M\"\nmax_free = \"300M\"\n", app)
	junk := g.garbage(250 << 20)
	o := g.run("build", app, "--json")
	if o.code != 0 || o.res.Kind != builder.KindOK {
		t.Fatalf("build with a full disk: %v", o)
	}
	if !strings.Contains(o.res.Warning, "disk was full: nixpass collected garbage (freed") {
		t.Errorf("the result does not say nixpass collected and built again: %q", o.res.Warning)
	}
	if g.present(junk) {
		t.Errorf("the garbage %s survived the retry's collection", junk)
	}
	// The retry is an attempt of its own, in the result and the history.
	kinds := func(as []builder.Attempt) (ks []builder.Kind) {
		for _, a := range as {
			ks = append(ks, a.Kind)
			// Both with the same settings, those Nix reported.
			if a.Memory <= 0 || a.Memory != as[0].Memory || a.DurationMS <= 0 || a.MaxJobs <= 0 || a.Cores <= 0 ||
				a.MaxJobs != as[0].MaxJobs || a.Cores != as[0].Cores {
				t.Errorf("attempt %+v: want the first's memory, jobs and cores (all known), and a duration", a)
			}
		}
		return ks
	}
	want := []builder.Kind{builder.KindDiskFull, builder.KindOK}
	if got := kinds(o.res.Attempts); !slices.Equal(got, want) {
		t.Errorf("the result's attempts are %v, want %v", got, want)
	}
	hist := strings.Split(strings.TrimSpace(string(readFile(t, filepath.Join(g.state, "history.jsonl")))), "\n")
	var rec builder.Result
	if err := json.Unmarshal([]byte(hist[len(hist)-1]), &rec); err != nil || rec.Kind != builder.KindOK || !slices.Equal(kinds(rec.Attempts), want) {
		t.Errorf("history's last record (%v): kind %s, attempts %+v; want ok after %v", err, rec.Kind, rec.Attempts, want)
	}
	log := string(readFile(t, o.res.Log))
	if !strings.Contains(log, "# first attempt: ") || !strings.Contains(log, "ran out of disk space") {
		t.Errorf("the log lacks the first attempt's verdict:\n%s", log)
	}
	// The first build's exec installs the script itself: every build
	// exec is a build.
	builds := 0
	for _, c := range multipasstest.Calls(t, g.fakeLog) {
		if c[0] == "exec" && slices.Contains(c, "build") && slices.Contains(c, "--token") {
			builds++
		}
	}
	if builds != 2 {
		t.Errorf("%d build execs, want 2 (the failed one and one retry): %q", builds, multipasstest.Calls(t, g.fakeLog))
	}
}

// Locally nixpass never collects: a full disk fails once, and the message
// says how much is free and what to run.
func TestLocalDiskFullIsNotCollected(t *testing.T) {
	g := newGCWorld(t)
	app := g.project("app", imageNix("e2e-full-local", "dd if=/dev/zero of=scratch bs=1M count=200; rm -f scratch"))
	g.writeConfig(fmt.Sprintf("[builder]\nbackend = \"local\"\n\n[[project]]\npath = %q\n", app))
	junk := g.garbage(250 << 20)
	o := g.run("build", app, "--json")
	if o.code == 0 || o.res.Kind != builder.KindDiskFull {
		t.Fatalf("local build with a full disk: %v", o)
	}
	for _, want := range []string{"is free on the Nix store's disk", "never collects", "nix-collect-garbage"} {
		if !strings.Contains(o.res.Hint, want) {
			t.Errorf("hint %q lacks %q", o.res.Hint, want)
		}
	}
	if !g.present(junk) {
		t.Errorf("the local backend collected the garbage %s", junk)
	}
}
