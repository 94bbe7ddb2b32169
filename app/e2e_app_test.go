package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// headless is a running `nixpass app --headless --json`.
type headless struct {
	t      *testing.T
	cmd    *exec.Cmd
	mu     sync.Mutex
	events []map[string]any
	stderr syncBuffer
	done   chan error
}

func (w *world) startHeadless() *headless {
	w.t.Helper()
	h := &headless{t: w.t, done: make(chan error, 1)}
	h.cmd = exec.Command(nixpassBin, "app", "--headless", "--json")
	h.cmd.Env = w.env
	h.cmd.Stderr = &h.stderr
	out, err := h.cmd.StdoutPipe()
	if err != nil {
		w.t.Fatal(err)
	}
	if err := h.cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	go h.read(out)
	w.t.Cleanup(func() { _ = h.cmd.Process.Kill() })
	h.waitFor("the app to start", func() bool { return h.count("BuilderChanged", "") > 0 })
	return h
}

func (h *headless) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 1<<22)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil {
			h.mu.Lock()
			h.events = append(h.events, m)
			h.mu.Unlock()
		}
	}
	h.done <- h.cmd.Wait()
}

// count counts events of a type whose JSON contains substr.
func (h *headless) count(typ, substr string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, e := range h.events {
		b, _ := json.Marshal(e["event"])
		if e["type"] == typ && strings.Contains(string(b), substr) {
			n++
		}
	}
	return n
}

func (h *headless) waitFor(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.t.Fatalf("timed out waiting for %s; events: %v\nstderr: %s", what, h.events, h.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestHeadlessBuildsOnChangeOnce(t *testing.T) {
	needNix(t)
	w := newWorld(t)
	w.writeConfig("[scheduler]\nquiet = \"300ms\"\nmax_wait = \"5s\"\n")
	dir := w.project("app", imageNix("e2e-watch", ""))
	if o := w.run("add", dir); o.code != 0 {
		t.Fatal(o)
	}
	h := w.startHeadless()

	// A second app refuses to start and names the holder.
	if o := w.run("app", "--headless"); o.code == 0 || !strings.Contains(o.stderr, fmt.Sprintf("pid %d", h.cmd.Process.Pid)) {
		t.Errorf("second app: %v", o)
	}

	// The project was never built: the app builds it as it starts.
	h.waitFor("the first build", func() bool { return h.count("BuildFinished", `"status":"succeeded"`) == 1 })
	if n := h.count("BuildQueued", `"reason":"first build"`); n != 1 {
		t.Errorf("%d first builds queued at start, want 1", n)
	}

	// A burst of writes is one build.
	for i := 0; i < 1000; i++ {
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("src%d.txt", i%20)), []byte(fmt.Sprint(i)), 0o644)
	}
	h.waitFor("the build", func() bool { return h.count("BuildFinished", `"status":"succeeded"`) == 2 })
	// The build's own writes (the image, its temp file) trigger nothing.
	time.Sleep(1500 * time.Millisecond)
	if n := h.count("BuildStarted", ""); n != 2 {
		t.Fatalf("%d builds for the first build and one burst, want 2", n)
	}

	// A project added while the app runs is built right away, without a
	// change, and add says so.
	dir2 := w.project("second", imageNix("e2e-watch-2", ""))
	o := w.run("add", dir2)
	if o.code != 0 || !strings.Contains(o.stdout, fmt.Sprintf("the running nixpass app (pid %d) builds it now", h.cmd.Process.Pid)) {
		t.Fatalf("add while the app runs: %v", o)
	}
	h.waitFor("the added project's build", func() bool { return h.count("BuildFinished", "e2e-watch-2") == 1 })
	if n := h.count("BuildQueued", `"reason":"added"`); n != 1 {
		t.Errorf("%d builds queued for the added project, want 1", n)
	}

	// SIGTERM during a build: cancel (the default), exit 0, image intact.
	good := readFile(t, filepath.Join(dir, "result.tar.gz"))
	sleep := uniqueSleep()
	w.setNix(dir, imageNix("e2e-watch-slow", `"$bb" `+sleep))
	h.waitFor("the slow build to start", func() bool { return pgrep(sleep) })
	_ = h.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-h.done:
		if err != nil {
			t.Fatalf("app exit: %v\n%s", err, h.stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the app did not stop on SIGTERM")
	}
	if n := h.count("BuildFinished", `"kind":"cancelled"`); n != 1 {
		t.Errorf("cancelled results: %d", n)
	}
	keptImage(t, dir, good, "SIGTERM during a build")
	if _, err := os.Stat(filepath.Join(w.state, "app.pid")); err == nil {
		t.Error("app.pid left behind")
	}
}

func TestAddSaysWhatToDoNext(t *testing.T) {
	w := newWorld(t)
	dir := w.project("my app", imageNix("e2e-next", ""))
	o := w.run("add", dir)
	// nixpass is not on PATH here: the line names the binary that ran.
	want := "next: build it now with: " + nixpassBin + " build '" + dir + "'"
	if o.code != 0 || !strings.Contains(o.stdout, want) || !strings.Contains(o.stdout, nixpassBin+" app") {
		t.Fatalf("add without a running app should say %q and how to start the app: %v", want, o)
	}
}

func TestAppBuildsOnlyProjectsNeverBuilt(t *testing.T) {
	needNix(t)
	w := newWorld(t)
	built := w.project("built", imageNix("e2e-start-built", ""))
	fresh := w.project("fresh", imageNix("e2e-start-fresh", ""))
	for _, d := range []string{built, fresh} {
		if o := w.run("add", d); o.code != 0 {
			t.Fatal(o)
		}
	}
	buildGood(t, w, built)
	h := w.startHeadless()
	h.waitFor("the never-built project's build", func() bool { return h.count("BuildFinished", "e2e-start-fresh") == 1 })
	time.Sleep(time.Second)
	if n := h.count("BuildQueued", `"project":"`+built+`"`); n != 0 {
		t.Errorf("the app rebuilt a project that has a result at start (%d builds)", n)
	}
	if _, err := os.Stat(filepath.Join(fresh, "result.tar.gz")); err != nil {
		t.Errorf("the never-built project has no image: %v", err)
	}
}

// TestStateInsideProjectOneBuildPerChange: with nixpass's state, logs and
// config inside the project folder (the home folder registered on Linux),
// one change is one build: the build's own writes to logs/, history.jsonl
// and the records never trigger another.
func TestStateInsideProjectOneBuildPerChange(t *testing.T) {
	needNix(t)
	w := newWorld(t)
	dir := w.project("home", imageNix("e2e-own-state", ""))
	w.state = filepath.Join(dir, ".local", "state", "nixpass")
	w.config = filepath.Join(dir, ".config", "nixpass", "config.toml")
	w.env = append(w.env, "NIXPASS_STATE_DIR="+w.state, "NIXPASS_CONFIG="+w.config)
	w.writeConfig("[scheduler]\nquiet = \"200ms\"\nmax_wait = \"2s\"\n")
	o := w.run("add", dir)
	if o.code != 0 || !strings.Contains(o.stderr, "contains nixpass's state folder") {
		t.Fatalf("add should warn about the state folder inside: %v", o)
	}
	// Built once first: the app builds a never-built project at start.
	buildGood(t, w, dir)
	h := w.startHeadless()
	os.WriteFile(filepath.Join(dir, "src.txt"), []byte("one change"), 0o644)
	h.waitFor("the build", func() bool { return h.count("BuildFinished", `"status":"succeeded"`) == 1 })
	time.Sleep(3 * time.Second)
	if n := h.count("BuildStarted", ""); n != 1 {
		t.Fatalf("%d builds for one change, want 1", n)
	}
}

// TestConfigProblemsWhileRunning: under --json a config that stops
// parsing, and one that is emptied, are JSON events; the app keeps the
// last good config (its project still builds on change) and picks the
// file up again once it parses to something.
func TestConfigProblemsWhileRunning(t *testing.T) {
	needNix(t)
	w := newWorld(t)
	w.writeConfig("[scheduler]\nquiet = \"200ms\"\nmax_wait = \"2s\"\n")
	dir := w.project("app", imageNix("e2e-cfg-problems", ""))
	if o := w.run("add", dir); o.code != 0 {
		t.Fatal(o)
	}
	buildGood(t, w, dir)
	good := string(readFile(t, w.config))
	h := w.startHeadless()

	w.writeConfig("[vm]\nmemory = \"8X\"\n")
	h.waitFor("a ConfigProblem for the broken file", func() bool { return h.count("ConfigProblem", "config.toml:2") == 1 })
	w.writeConfig("")
	h.waitFor("a ConfigProblem for the empty file", func() bool { return h.count("ConfigProblem", "is empty") == 1 })
	h.waitFor("the kept project to build on change", func() bool {
		os.WriteFile(filepath.Join(dir, "src.txt"), []byte(time.Now().String()), 0o644)
		time.Sleep(300 * time.Millisecond)
		return h.count("BuildFinished", "e2e-cfg-problems") >= 1
	})
	w.writeConfig(good)
	time.Sleep(500 * time.Millisecond)
	if n := h.count("ConfigProblem", ""); n != 2 {
		t.Errorf("%d config problems, want 2", n)
	}
	_ = h.cmd.Process.Signal(syscall.SIGTERM)
	<-h.done
	if strings.Contains(h.stderr.String(), "config not reloaded") {
		t.Errorf("under --json the problem went to stderr as text: %s", h.stderr.String())
	}
}
