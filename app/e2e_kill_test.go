package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"nixpass/builder/multipass/multipasstest"
)

// kill -9 of nixpass mid-build: nothing of the build may survive it for
// more than a few seconds, the next build succeeds, the last good image is
// intact and still the one nixpass's record names (so the next build of
// the same expression is up to date), and the killed build is in the
// history, its log closed.

func TestKill9OfTheCLIStopsItsBuild(t *testing.T) {
	needNix(t)
	w := newWorld(t)
	goodNix := imageNix(fmt.Sprintf("e2e-kill-cli-%d", rand.IntN(1e9)), "")
	dir := w.project("app", goodNix)
	good := buildGood(t, w, dir)
	sleep := uniqueSleep()
	w.setNix(dir, imageNix("e2e-kill-cli-slow", `"$bb" `+sleep))

	cmd := exec.Command(nixpassBin, "build", dir, "--json")
	cmd.Env = w.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "the builder to start", func() bool { return pgrep(sleep) })
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	afterKill(t, w, dir, sleep, good, goodNix)
}

func TestKill9OfTheAppStopsItsBuild(t *testing.T) {
	needNix(t)
	w := newWorld(t)
	w.writeConfig("[scheduler]\nquiet = \"200ms\"\nmax_wait = \"2s\"\n")
	goodNix := imageNix(fmt.Sprintf("e2e-kill-app-%d", rand.IntN(1e9)), "")
	dir := w.project("app", goodNix)
	if o := w.run("add", dir); o.code != 0 {
		t.Fatal(o)
	}
	good := buildGood(t, w, dir)
	h := w.startHeadless()
	sleep := uniqueSleep()
	w.setNix(dir, imageNix("e2e-kill-app-slow", `"$bb" `+sleep))
	h.waitFor("the slow build to start", func() bool { return pgrep(sleep) })
	_ = h.cmd.Process.Kill()
	<-h.done
	afterKill(t, w, dir, sleep, good, goodNix)
}

func afterKill(t *testing.T, w *world, dir, sleep string, good []byte, goodNix string) {
	t.Helper()
	start := time.Now()
	waitFor(t, 5*time.Second, "the killed build's builder to be gone", func() bool { return !pgrep(sleep) })
	script := "nixpass-build.*" + regexp.QuoteMeta(dir)
	waitFor(t, 5*time.Second, "the killed build's script to be gone", func() bool { return !pgrep(script) })
	t.Logf("the orphaned build was gone %v after the kill", time.Since(start).Round(time.Millisecond))
	keptImage(t, dir, good, "kill -9 mid-build")

	// The image is still the one nixpass recorded: the same expression
	// is up to date, nothing copied.
	w.setNix(dir, goodNix)
	o := w.run("build", dir, "--json")
	if o.code != 0 || !o.res.UpToDate || !bytes.Equal(readFile(t, filepath.Join(dir, "result.tar.gz")), good) {
		t.Fatalf("build after the kill is not up to date with the last good image: %v", o)
	}
	// And a new image builds.
	w.setNix(dir, imageNix(fmt.Sprintf("e2e-kill-next-%d", rand.IntN(1e9)), ""))
	if o := w.run("build", dir, "--json"); o.code != 0 || o.res.UpToDate {
		t.Fatalf("new build after the kill: %v", o)
	}
	noTemps(t, dir)

	hist := string(readFile(t, filepath.Join(w.state, "history.jsonl")))
	if !strings.Contains(hist, `"kind":"cancelled"`) || !strings.Contains(hist, "the build was killed") {
		t.Errorf("the killed build is not in the history:\n%s", hist)
	}
	if ents, _ := os.ReadDir(filepath.Join(w.state, "running")); len(ents) != 0 {
		t.Errorf("running markers left: %v", ents)
	}
	logs, _ := filepath.Glob(filepath.Join(w.state, "logs", "builds", "*", "*.log"))
	for _, l := range logs {
		if b := readFile(t, l); !bytes.Contains(b, []byte("\n# nixpass: ")) {
			t.Errorf("log %s has no closing line:\n%s", l, b)
		}
	}
}

// TestKill9OfTheCLIStopsItsVMBuild: the same through the Multipass
// backend, with the fake multipass whose exec, like SSH, does not pass
// the client's death on: only the script inside the "VM", watching its
// session's input, can stop the build.
func TestKill9OfTheCLIStopsItsVMBuild(t *testing.T) {
	needNix(t)
	w := newWorld(t)
	fake := multipasstest.Build(t)
	env, _, _ := multipasstest.NewWorld(t, multipasstest.FakeInstance{Name: "nixpass", State: "Running", CPUs: 2, Memory: 4 << 30, Disk: 20 << 30})
	w.env = append(append(w.env, env...), "NIXPASS_GUEST_SCRIPT_DIR="+t.TempDir())
	w.writeConfig("[builder]\nbackend = \"multipass\"\nmultipass = " + jsonString(fake) + "\n")
	goodNix := imageNix(fmt.Sprintf("e2e-kill-vm-%d", rand.IntN(1e9)), "")
	dir := w.project("app", goodNix)
	good := buildGood(t, w, dir)
	sleep := uniqueSleep()
	w.setNix(dir, imageNix("e2e-kill-vm-slow", `"$bb" `+sleep))

	cmd := exec.Command(nixpassBin, "build", dir, "--json")
	cmd.Env = w.env
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "the builder to start", func() bool { return pgrep(sleep) })
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	afterKill(t, w, dir, sleep, good, goodNix)
}
