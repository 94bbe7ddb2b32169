package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"nixpass/builder"
)

// waitRunning waits until the world's state holds a running marker.
func (w *world) waitRunning() {
	w.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if ents, _ := filepath.Glob(filepath.Join(w.state, "running", "*.json")); len(ents) > 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	w.t.Fatal("no build started")
}

// TestBuildJoinsTheRunningBuild: a second `nixpass build` of a project
// that is being built (as the app does right after add) waits for that
// build, prints its log and result and exits with its kind, instead of
// building twice; `logs` meanwhile shows the running build's log. A
// build whose imported file changed after the running one evaluated is
// not joined; a joined failure is the joiner's too. When the first build
// is cancelled, the second builds by itself.
func TestBuildJoinsTheRunningBuild(t *testing.T) {
	needNix(t)
	w := newWorld(t)
	// Tags of this run's own: a derivation left in the store by an earlier
	// run would be up to date, and quick.
	tag := fmt.Sprintf("join-%d-", time.Now().UnixNano())
	dir := w.project("join", imageNix(tag+"1", "echo slow-build-marker; sleep 3"))
	first := w.command("build", dir, "--json")
	var out1 bytes.Buffer
	first.Stdout, first.Stderr = &out1, &bytes.Buffer{}
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	w.waitRunning()
	if o := w.run("logs", dir); !strings.Contains(o.stderr, "still running: pid") {
		t.Errorf("logs during the build: %s", o)
	}
	o := w.run("build", dir, "--json")
	if err := first.Wait(); err != nil {
		t.Fatalf("first build: %v\n%s", err, out1.String())
	}
	var r1 builder.Result
	if err := json.Unmarshal(out1.Bytes(), &r1); err != nil {
		t.Fatal(err)
	}
	if o.code != 0 || !strings.Contains(o.stderr, "is being built already") || o.res.Log != r1.Log || !o.res.Started.Equal(r1.Started) {
		t.Fatalf("second build did not join the first (log %s vs %s): %s", o.res.Log, r1.Log, o)
	}
	if n := countBuilds(t, w, dir); n != 1 {
		t.Errorf("history holds %d builds, want 1", n)
	}

	// An imported file changed after the running build evaluated: that
	// build builds the old derivation, so this one builds by itself (after
	// the builder lock) and its image is the new one. default.nix itself
	// is not touched: its modification time says nothing here.
	w.setNix(dir, "import ./image.nix { tag = import ./tag.nix; prepare = \"sleep 3\"; }\n")
	w.setTag(dir, tag+"2")
	first = w.command("build", dir, "--json")
	out1.Reset()
	first.Stdout, first.Stderr = &out1, &bytes.Buffer{}
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	w.waitDrv()
	w.setTag(dir, tag+"3")
	o = w.run("build", dir, "--json")
	_ = first.Wait()
	r1 = builder.Result{}
	_ = json.Unmarshal(out1.Bytes(), &r1)
	if o.code != 0 || strings.Contains(o.stderr, "is being built already") || !strings.Contains(o.stderr, "builds other derivations") || o.res.Image != "offline:"+tag+"3" {
		t.Errorf("an imported file changed after the running build evaluated was joined: %s", o)
	}
	if r1.Image != "offline:"+tag+"2" || o.res.Log == r1.Log {
		t.Errorf("the running build: %+v; want the image of tag 2 and a log of its own", r1)
	}
	if n := countBuilds(t, w, dir); n != 3 {
		t.Errorf("history holds %d builds, want 3 (one joined, then two)", n)
	}

	// A joined build that fails: the joiner prints that failure and exits
	// with its kind's code.
	w.setNix(dir, imageNix(tag+"5", "sleep 3; echo joined-build-broke >&2; exit 3"))
	first = w.command("build", dir, "--json")
	out1.Reset()
	first.Stdout, first.Stderr = &out1, &bytes.Buffer{}
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	w.waitDrv()
	o = w.run("build", dir, "--json")
	_ = first.Wait()
	r1 = builder.Result{}
	_ = json.Unmarshal(out1.Bytes(), &r1)
	if o.code != builder.KindBuild.ExitCode() || o.res.Kind != builder.KindBuild || !strings.Contains(o.stderr, "is being built already") ||
		o.res.Log != r1.Log || !strings.Contains(o.res.Message, "joined-build-broke") {
		t.Errorf("joined failing build: want exit %d with that build's result and log, got %s", builder.KindBuild.ExitCode(), o)
	}
	if n := countBuilds(t, w, dir); n != 4 {
		t.Errorf("history holds %d builds, want 4", n)
	}

	// The first build cancelled: the second builds by itself.
	w.setNix(dir, imageNix(tag+"4", "sleep 5"))
	first = w.command("build", dir)
	first.Stdout, first.Stderr = &bytes.Buffer{}, &bytes.Buffer{}
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	w.waitRunning()
	second := w.command("build", dir, "--json")
	var out2, err2 bytes.Buffer
	second.Stdout, second.Stderr = &out2, &err2
	if err := second.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	_ = syscall.Kill(-first.Process.Pid, syscall.SIGINT)
	_ = first.Wait()
	err := second.Wait()
	var r2 builder.Result
	_ = json.Unmarshal(out2.Bytes(), &r2)
	if err != nil || r2.Image != "offline:"+tag+"4" || !strings.Contains(err2.String(), "building here") {
		t.Errorf("after the joined build was cancelled: %v %+v\n%s", err, r2, err2.String())
	}
}

// waitDrv waits until the running build has said what it builds.
func (w *world) waitDrv() {
	w.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if ents, _ := filepath.Glob(filepath.Join(w.state, "running", "*.drv")); len(ents) > 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	w.t.Fatal("the running build never said what it builds")
}

// setTag writes the project's tag.nix, which its default.nix imports.
func (w *world) setTag(dir, tag string) {
	w.t.Helper()
	path := filepath.Join(dir, "tag.nix")
	if err := os.WriteFile(path, []byte(fmt.Sprintf("%q\n", tag)), 0o644); err != nil {
		w.t.Fatal(err)
	}
	w.own(path)
}

func countBuilds(t *testing.T, w *world, dir string) int {
	t.Helper()
	b, _ := os.ReadFile(filepath.Join(w.state, "history.jsonl"))
	n := 0
	for _, l := range strings.Split(string(b), "\n") {
		var r builder.Result
		if json.Unmarshal([]byte(l), &r) == nil && r.Project == dir {
			n++
		}
	}
	return n
}

// TestBuildAfterAddJoinsTheAppsBuild: the case. `add` while the
// app runs makes the app build the project; a `build` of it then is that
// build, not a second one: it prints that build's result, and the
// history and `logs` hold that one build.
func TestBuildAfterAddJoinsTheAppsBuild(t *testing.T) {
	needNix(t)
	w := newWorld(t)
	h := w.startHeadless()
	tag := fmt.Sprintf("join-app-%d", time.Now().UnixNano())
	dir := w.project("added", imageNix(tag, "sleep 3"))
	if o := w.run("add", dir); o.code != 0 {
		t.Fatal(o)
	}
	h.waitFor("the app's build", func() bool { return h.count("BuildStarted", `"project":"`+dir+`"`) == 1 })
	o := w.run("build", dir)
	h.waitFor("the app's result", func() bool { return h.count("BuildFinished", tag) == 1 })
	if o.code != 0 || !strings.Contains(o.stderr, "is being built already") || !strings.Contains(o.stdout, "✓") {
		t.Errorf("build after add did not join the app's build: %s", o)
	}
	if n := countBuilds(t, w, dir); n != 1 {
		t.Errorf("history holds %d builds, want the app's one", n)
	}
	if n := h.count("BuildStarted", `"project":"`+dir+`"`); n != 1 {
		t.Errorf("the app started %d builds, want 1", n)
	}
	last := w.run("logs", dir)
	if last.code != 0 || strings.Contains(last.stderr, "still running") || !strings.Contains(last.stdout, tag) {
		t.Errorf("logs after the joined build: %s", last)
	}
}
