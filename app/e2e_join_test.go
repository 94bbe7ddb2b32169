package main

import (
	"bytes"
	"encoding/json"
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
// building twice; `logs` meanwhile shows the running build's log. When
// the first build is cancelled, the second builds by itself; a changed
// Nix file is never joined.
func TestBuildJoinsTheRunningBuild(t *testing.T) {
	needNix(t)
	w := newWorld(t)
	dir := w.project("join", imageNix("join-1", "echo slow-build-marker; sleep 3"))
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

	// A changed Nix file: a build of its own.
	w.setNix(dir, imageNix("join-2", "sleep 3"))
	first = w.command("build", dir)
	first.Stdout, first.Stderr = &bytes.Buffer{}, &bytes.Buffer{}
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	w.waitRunning()
	w.setNix(dir, imageNix("join-3", ""))
	o = w.run("build", dir, "--json")
	_ = first.Wait()
	if o.code != 0 || strings.Contains(o.stderr, "is being built already") || o.res.Image != "offline:join-3" {
		t.Errorf("a changed file was joined: %s", o)
	}

	// The first build cancelled: the second builds by itself.
	w.setNix(dir, imageNix("join-4", "sleep 5"))
	first = w.command("build", dir)
	first.Stdout, first.Stderr = &bytes.Buffer{}, &bytes.Buffer{}
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	w.waitRunning()
	// Nix's file mtime is before the start: joinable.
	time.Sleep(300 * time.Millisecond)
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
	if err != nil || r2.Image != "offline:join-4" || !strings.Contains(err2.String(), "building here") {
		t.Errorf("after the joined build was cancelled: %v %+v\n%s", err, r2, err2.String())
	}
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
