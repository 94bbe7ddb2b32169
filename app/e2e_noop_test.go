package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"nixpass/builder"
)

// Issue 19: a no-op does no more than decide it is one, and nothing a
// build starts outlives it.

func TestNoopDoesNotWaitBehindAnotherBuild(t *testing.T) {
	needNix(t)
	w := newWorld(t)
	fast := w.project("fast", imageNix("e2e-noop-fast", ""))
	if o := w.run("build", fast, "--json"); o.code != 0 {
		t.Fatalf("first build of fast: %v", o)
	}
	// A tag of its own each run: a cached store path would not sleep.
	slow := w.project("slow", imageNix(fmt.Sprintf("e2e-noop-slow-%d", rand.IntN(1e9)), `"$bb" sleep 4`))
	first := exec.Command(nixpassBin, "build", slow, "--json")
	first.Env = w.env
	var firstOut bytes.Buffer
	first.Stdout = &firstOut
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the slow build to hold the lock", func() bool { return pgrep(`sleep 4$`) })
	o := w.run("build", fast, "--json")
	if err := first.Wait(); err != nil {
		t.Fatalf("slow build: %v\n%s", err, firstOut.String())
	}
	if o.code != 0 || !o.res.UpToDate || strings.Contains(o.stderr, "waiting") {
		t.Fatalf("the no-op waited for the lock or was not up to date: %v", o)
	}
	var slowRes builder.Result
	if err := json.Unmarshal(firstOut.Bytes(), &slowRes); err != nil {
		t.Fatal(err)
	}
	if !o.res.Finished.Before(slowRes.Finished) {
		t.Errorf("the no-op finished (%v) after the slow build (%v): it waited", o.res.Finished, slowRes.Finished)
	}
	// What the no-op reports is what the script's up-to-date path did.
	if o.res.Status != builder.StatusSucceeded || o.res.Kind != builder.KindOK || o.res.Image != "offline:e2e-noop-fast" ||
		o.res.Platform == "" || o.res.Log == "" || !strings.HasPrefix(o.res.Message, "up to date: ") {
		t.Errorf("no-op result = %+v", o.res)
	}
	if log := readFile(t, o.res.Log); !bytes.Contains(log, []byte("# store-path "+o.res.StorePath)) || !bytes.Contains(log, []byte("succeeded (ok)")) {
		t.Errorf("no-op log lacks the store path or the outcome:\n%s", log)
	}
}

func TestNoopNoticesAChangedOutputFile(t *testing.T) {
	needNix(t)
	w := newWorld(t)
	dir := w.project("app", imageNix("e2e-noop-touched", ""))
	if o := w.run("build", dir, "--json"); o.code != 0 {
		t.Fatalf("first build: %v", o)
	}
	out := filepath.Join(dir, "result.tar.gz")
	good := readFile(t, out)
	if err := os.WriteFile(out, []byte("not an image"), 0o644); err != nil {
		t.Fatal(err)
	}
	o := w.run("build", dir, "--json")
	if o.code != 0 || o.res.UpToDate {
		t.Fatalf("a changed output file must be copied again: %v", o)
	}
	if got := readFile(t, out); !bytes.Equal(got, good) {
		t.Errorf("the output was not restored from the store")
	}
}

// TestNothingOutlivesABuild runs builds that go through the script (a
// changed image) and checks, once nixpass has exited, that no process
// it started is left: every process inherits a marker in its
// environment, and none may hold it afterwards (the script's heartbeat
// sleep used to, for up to 5 s).
func TestNothingOutlivesABuild(t *testing.T) {
	needNix(t)
	w := newWorld(t)
	mark := fmt.Sprintf("NIXPASS_E2E_MARK=%d", rand.IntN(1e9))
	env := w.env
	w.env = append(append([]string(nil), env...), mark)
	defer func() { w.env = env }()
	dir := w.project("app", imageNix(fmt.Sprintf("e2e-outlive-%d", rand.IntN(1e9)), ""))
	for i, what := range []string{"first build", "no-op"} {
		o := w.run("build", dir, "--json")
		if o.code != 0 || o.res.UpToDate != (i == 1) {
			t.Fatalf("%s: %v", what, o)
		}
		if left := marked(mark); len(left) > 0 {
			t.Errorf("after the %s, processes it started are still running: %s", what, strings.Join(left, "; "))
		}
	}
}

// marked lists the processes whose environment holds mark.
func marked(mark string) []string {
	var out []string
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		env, err := os.ReadFile(filepath.Join(p, "environ"))
		if err != nil || !bytes.Contains(env, []byte(mark+"\x00")) {
			continue
		}
		cmd, _ := os.ReadFile(filepath.Join(p, "cmdline"))
		out = append(out, filepath.Base(p)+" "+strings.ReplaceAll(strings.TrimSpace(string(cmd)), "\x00", " "))
	}
	return out
}
