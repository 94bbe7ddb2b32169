package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestOfflineExampleAsksNoCache builds examples/offline as a new user
// would, with Nix's default substituters (cache.nixos.org) left in place:
// the example must not ask any binary cache for its output, so a machine
// without network neither waits on retries nor prints download warnings.
func TestOfflineExampleAsksNoCache(t *testing.T) {
	needNix(t)
	dir := t.TempDir()
	for _, f := range []string{"default.nix", "image.nix", "stream.nix", "build-image.sh"} {
		b := readFile(t, filepath.Join("..", "examples", "offline", f))
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A message of its own makes a new derivation: nothing is up to date.
	msg := fmt.Sprintf("offline %d", time.Now().UnixNano())
	for _, file := range []string{"default.nix", "stream.nix"} {
		cmd := exec.Command("nix-build", "--no-out-link", filepath.Join(dir, file), "--argstr", "message", msg)
		// The machine's own Nix settings, not the tests' offline override.
		cmd.Env = append(environ(false), "NIX_CONFIG=substituters = https://cache.nixos.org\nconnect-timeout = 5\n")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("nix-build %s: %v\n%s", file, err, out)
		}
		if s := string(out); strings.Contains(s, "unable to download") || strings.Contains(s, "cache.nixos.org") {
			t.Errorf("%s asked a binary cache although it is offline:\n%s", file, s)
		}
	}
}

// TestNextLineRunsAsPrinted checks that add's "next:" line names a command
// the user can run: the path nixpass was started by, and the bare name only
// when "nixpass" on PATH is this binary.
func TestNextLineRunsAsPrinted(t *testing.T) {
	needNix(t)
	for _, onPath := range []bool{false, true} {
		w := newWorld(t)
		dir := w.project("next", imageNix("latest", ""))
		if onPath {
			bin := filepath.Join(w.root, "bin")
			if err := os.MkdirAll(bin, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(nixpassBin, filepath.Join(bin, "nixpass")); err != nil {
				t.Fatal(err)
			}
			w.env = append(w.env, "PATH="+bin+":"+os.Getenv("PATH"))
		}
		o := w.run("add", dir)
		if o.code != 0 {
			t.Fatalf("add: %s", o)
		}
		want := "next: build it now with: " + nixpassBin + " build "
		if onPath {
			want = "next: build it now with: nixpass build "
		}
		if !strings.Contains(o.stdout, want) {
			t.Errorf("on PATH=%v: want %q in:\n%s", onPath, want, o.stdout)
		}
	}
}
