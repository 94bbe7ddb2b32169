package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"nixpass/builder"
)

// flakeNix is a flake whose image is the offline example's, built from a
// busybox copied into the flake (pure evaluation sees nothing outside it).
const flakeNix = `{
  outputs = { self }: {
    packages.%[1]s.default = derivation {
      name = "offline-%[2]s.tar.gz";
      system = "%[1]s";
      builder = "${./bb}/busybox";
      args = [ "sh" "-eu" ./build-image.sh ];
      imageName = "offline"; tag = "%[2]s"; message = "hello from a flake"; prepare = %[3]q;
      arch = "%[4]s";
      bb = "${./bb}/busybox";
    };
  };
}
`

// flakeProject makes a git flake project (git add, not committed: what a
// user has while editing) building the offline image with tag.
func (w *world) flakeProject(name, tag, prepare string) string {
	w.t.Helper()
	dir := w.project(name, "")
	if err := os.Remove(filepath.Join(dir, "default.nix")); err != nil {
		w.t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "bb"), 0o755); err != nil {
		w.t.Fatal(err)
	}
	bb, err := os.ReadFile("/usr/bin/busybox")
	if err != nil {
		bb = readFile(w.t, "/bin/busybox")
	}
	if err := os.WriteFile(filepath.Join(dir, "bb", "busybox"), bb, 0o755); err != nil {
		w.t.Fatal(err)
	}
	system, arch := "x86_64-linux", "amd64"
	if runtime.GOARCH == "arm64" {
		system, arch = "aarch64-linux", "arm64"
	}
	text := fmt.Sprintf(flakeNix, system, tag, prepare, arch)
	if err := os.WriteFile(filepath.Join(dir, "flake.nix"), []byte(text), 0o644); err != nil {
		w.t.Fatal(err)
	}
	for _, args := range [][]string{{"init", "-q"}, {"add", "-A"}} {
		if out, err := exec.Command("git", append([]string{"-c", "safe.directory=*", "-C", dir}, args...)...).CombinedOutput(); err != nil {
			w.t.Fatalf("git %v: %v: %s", args, err, out)
		}
	}
	w.own(dir)
	return dir
}

// Flake builds use `nix build --json`, which every supported Nix has:
// Debian 12's Nix 2.8 has no --print-out-paths.
func TestFlakeBuildsOnEveryNix(t *testing.T) {
	need(t, "git", "apt-get install git")
	for _, e := range everyNixes {
		t.Run(e.name, func(t *testing.T) {
			w := newWorldIn(t, e)
			// Nix 2.8 takes no space in a flake's path ("is not a valid URL").
			// A tag of its own each run, so every Nix really builds it.
			tag := fmt.Sprintf("e2e-flake-%d", rand.IntN(1e9))
			dir := w.flakeProject("flake-app", tag, "")
			if o := w.run("add", dir, "--flake", ".#default"); o.code != 0 {
				t.Fatalf("add: %v", o)
			}
			o := w.run("build", dir, "--json")
			if o.code != 0 || o.res.Kind != builder.KindOK || o.res.Image != "offline:"+tag || !strings.HasPrefix(o.res.StorePath, "/nix/store/") {
				log, _ := os.ReadFile(o.res.Log)
				t.Fatalf("flake build: %v\nlog:\n%s", o, log)
			}
			if strings.Contains(o.stderr, "unrecognised flag") {
				t.Errorf("nix was given a flag it does not know: %v", o)
			}
			good := readFile(t, filepath.Join(dir, "result.tar.gz"))

			// A failing flake build is a build failure, not an eval error.
			text := strings.Replace(string(readFile(t, filepath.Join(dir, "flake.nix"))), `prepare = ""`, `prepare = "echo the flake broke >&2; exit 3"`, 1)
			if err := os.WriteFile(filepath.Join(dir, "flake.nix"), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			o = w.run("build", dir, "--json")
			if o.code != 3 || o.res.Kind != builder.KindBuild || !strings.Contains(o.res.Message, "the flake broke") {
				t.Fatalf("failing flake build: want exit 3 (build), got %v", o)
			}
			keptImage(t, dir, good, "a failed flake build")
		})
	}
}
