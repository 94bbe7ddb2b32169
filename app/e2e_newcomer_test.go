package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
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

// TestSmallTruths checks the statements a newcomer reads in their first
// hour: list --json is one object, remove mentions an image file only
// when there is one, history lists this project's builds newest first,
// and status exits 6 like build when the builder cannot be used.
func TestSmallTruths(t *testing.T) {
	needNix(t)
	w := newWorld(t)
	dir := w.project("truths", imageNix("latest", ""))
	if o := w.run("add", dir); o.code != 0 {
		t.Fatalf("add: %s", o)
	}
	var list struct {
		Projects []struct {
			Path string `json:"path"`
		} `json:"projects"`
	}
	o := w.run("list", "--json")
	if err := json.Unmarshal([]byte(o.stdout), &list); err != nil || len(list.Projects) != 1 || list.Projects[0].Path != dir {
		t.Errorf("list --json is not one object with the project: %v (%v)", o, err)
	}
	if o := w.run("remove", dir); o.code != 0 || o.stdout != "removed "+dir+"\n" {
		t.Errorf("remove of a never-built project: %s", o)
	}
	w.run("add", dir)
	if o := w.run("build", dir); o.code != 0 {
		t.Fatalf("build: %s", o)
	}
	if o := w.run("build", dir); o.code != 0 || !o.res.UpToDate && !strings.Contains(o.stdout, "up to date") {
		t.Fatalf("second build: %s", o)
	}
	w.setNix(dir, "import ./image.nix { tag = ; }\n")
	if o := w.run("build", dir); o.code != 2 {
		t.Fatalf("broken build: %s", o)
	}
	var hist struct {
		Project string `json:"project"`
		Builds  []struct {
			Kind     string `json:"kind"`
			UpToDate bool   `json:"up_to_date"`
			Image    string `json:"image"`
			Platform string `json:"platform"`
		} `json:"builds"`
	}
	o = w.run("history", dir, "--json")
	if err := json.Unmarshal([]byte(o.stdout), &hist); err != nil {
		t.Fatalf("history --json: %v\n%s", err, o)
	}
	if hist.Project != dir || len(hist.Builds) != 3 || hist.Builds[0].Kind != "eval" || !hist.Builds[1].UpToDate ||
		hist.Builds[2].Kind != "ok" || hist.Builds[2].Image != "offline:latest" || hist.Builds[2].Platform == "" {
		t.Errorf("history, newest first, want eval, up to date, built offline:latest: %+v", hist)
	}
	if o := w.run("history", dir); !strings.Contains(o.stdout, "✗ ") || !strings.Contains(o.stdout, "✓ up to date") {
		t.Errorf("history: %s", o)
	}
	if o := w.run("remove", dir); o.code != 0 || !strings.Contains(o.stdout, "result.tar.gz stays") {
		t.Errorf("remove of a built project: %s", o)
	}
	w.env = append(w.env, "NIX_CONFIG=substituters =\nbuild-users-group = nixpass-no-such-group\n")
	if o := w.run("status"); o.code != 6 || !strings.Contains(o.stdout, "unavailable") {
		t.Errorf("status with an unusable builder: %s", o)
	}
}

// TestProgressSaysTheNetworkIsDown: while Nix retries a download, the
// progress line says the network looks down instead of staying silent.
func TestProgressSaysTheNetworkIsDown(t *testing.T) {
	needNix(t)
	w := newWorld(t)
	w.env = append(w.env, "NIX_CONFIG=substituters =\ndownload-attempts = 2\n")
	dir := w.project("offline-net", `import <nix/fetchurl.nix> {
  url = "http://nixpass-unresolvable.invalid/src/app-1.0.tar.gz";
  sha256 = "0000000000000000000000000000000000000000000000000000";
}
`)
	o := w.run("build", dir)
	if o.code != 8 {
		t.Fatalf("build: want exit 8 (network): %s", o)
	}
	want := "cannot reach nixpass-unresolvable.invalid ("
	i := strings.Index(o.stderr, want)
	if i < 0 || !strings.Contains(o.stderr, "the network looks down") {
		t.Fatalf("the progress did not say the network is down: %s", o)
	}
	if strings.Count(o.stderr, want) != 1 {
		t.Errorf("said more than once: %s", o.stderr)
	}
}

// TestDesktopWithoutNotificationsPrintsResults: a Linux desktop session
// with neither a tray host nor a notification service says once that
// notifications cannot be shown, prints each result where the app runs,
// and writes a failure's report file as the menu would.
func TestDesktopWithoutNotificationsPrintsResults(t *testing.T) {
	needNix(t)
	d := startBus(t, false, false)
	w := newWorld(t)
	w.writeConfig("[scheduler]\nquiet = \"300ms\"\n")
	dir := w.project("quietdesk", imageNix("e2e-quiet", ""))
	if o := w.run("add", dir); o.code != 0 {
		t.Fatal(o)
	}
	cmd := exec.Command(nixpassBin, "app")
	cmd.Env = append(w.env, "DBUS_SESSION_BUS_ADDRESS="+d.addr)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	waitFor(t, 30*time.Second, "the first result on stderr", func() bool {
		return strings.Contains(stderr.String(), "✓ "+dir)
	})
	w.setNix(dir, "import ./image.nix { tag = ; }\n")
	waitFor(t, 30*time.Second, "the failure on stderr", func() bool {
		return strings.Contains(stderr.String(), "✗ "+dir) && strings.Contains(stderr.String(), "the full report: ")
	})
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()
	out := stderr.String()
	if n := strings.Count(out, "notifications cannot be shown"); n != 1 {
		t.Errorf("said %d times that notifications cannot be shown:\n%s", n, out)
	}
	if n := strings.Count(out, "org.freedesktop"); n > 1 {
		t.Errorf("the D-Bus error is repeated %d times:\n%s", n, out)
	}
	report := strings.TrimSpace(out[strings.Index(out, "the full report: ")+len("the full report: "):])
	report = strings.SplitN(report, "\n", 2)[0]
	if b, err := os.ReadFile(report); err != nil || !strings.Contains(string(b), "syntax error") {
		t.Errorf("report %s: %v\n%s", report, err, b)
	}
}
