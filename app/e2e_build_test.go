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
	"syscall"
	"testing"
	"time"

	"nixpass/builder"
)

// The end-to-end tests drive the real nixpass binary on the local backend
// with real Nix, offline.

func TestBuildSucceedsThenUpToDate(t *testing.T) {
	needNix(t)
	w := newWorld(t)
	dir := w.project("app", imageNix("e2e-ok", ""))
	if o := w.run("add", dir); o.code != 0 {
		t.Fatalf("add: %v", o)
	}
	o := w.run("build", dir, "--json")
	if o.code != 0 || o.res.Status != "succeeded" || o.res.Kind != builder.KindOK {
		t.Fatalf("first build: %v", o)
	}
	out := filepath.Join(dir, "result.tar.gz")
	if o.res.Output != out || o.res.Bytes == 0 || o.res.UpToDate || !strings.HasPrefix(o.res.StorePath, "/nix/store/") {
		t.Errorf("first build result = %+v", o.res)
	}
	if o.res.Image != "offline:e2e-ok" {
		t.Errorf("image = %q, want offline:e2e-ok (from manifest.json)", o.res.Image)
	}
	if st, err := os.Stat(out); err != nil || st.Size() != o.res.Bytes {
		t.Errorf("output file: %v, size vs %d", err, o.res.Bytes)
	}
	if o.res.Log == "" || !bytes.Contains(readFile(t, o.res.Log), []byte("succeeded")) {
		t.Errorf("log %q does not record the outcome", o.res.Log)
	}
	first := o.res.StorePath

	o = w.run("build", dir, "--json")
	if o.code != 0 || !o.res.UpToDate || o.res.StorePath != first {
		t.Fatalf("second build should be up to date: %v", o)
	}

	// A changed image is copied again, atomically.
	w.setNix(dir, imageNix("e2e-ok2", ""))
	o = w.run("build", dir, "--json")
	if o.code != 0 || o.res.UpToDate || o.res.StorePath == first || o.res.Image != "offline:e2e-ok2" {
		t.Fatalf("rebuild after change: %v", o)
	}
	noTemps(t, dir)

	// The history and status know about all three.
	o = w.run("status", "--json")
	if o.code != 0 || !strings.Contains(o.stdout, `"image": "offline:e2e-ok2"`) {
		t.Errorf("status: %v", o)
	}
	hist := readFile(t, filepath.Join(w.state, "history.jsonl"))
	if n := bytes.Count(hist, []byte("\n")); n != 3 {
		t.Errorf("history has %d records, want 3", n)
	}
	o = w.run("logs", dir)
	if o.code != 0 || !strings.Contains(o.stdout, "succeeded") {
		t.Errorf("logs: %v", o)
	}
}

// buildGood builds dir once and returns the good image's bytes.
func buildGood(t *testing.T, w *world, dir string) []byte {
	t.Helper()
	o := w.run("build", dir, "--json")
	out := filepath.Join(dir, "result.tar.gz")
	if o.code != 0 || o.res.Status != "succeeded" || o.res.Kind != builder.KindOK || o.res.Output != out ||
		!strings.HasPrefix(o.res.Image, "offline") || !strings.HasPrefix(o.res.StorePath, "/nix/store/") {
		t.Fatalf("good build: %v", o)
	}
	return readFile(t, out)
}

func TestBuildFailuresKeepLastGoodImage(t *testing.T) {
	needNix(t)
	tests := []struct {
		name    string
		nix     string
		code    int
		kind    builder.Kind
		message []string
		hint    string
	}{
		{
			name:    "eval error",
			nix:     "let x = 1; in import ./image.nix { tag = undefinedThing; }\n",
			code:    2,
			kind:    builder.KindEval,
			message: []string{"undefined variable 'undefinedThing'", "default.nix:1:"},
			hint:    "fix the expression at",
		},
		{
			name:    "build failure",
			nix:     imageNix("e2e-fail", "echo compiling >&2; echo 'fatal: the build broke' >&2; exit 3"),
			code:    3,
			kind:    builder.KindBuild,
			message: []string{"offline-e2e-fail.tar.gz failed with exit code 3", "fatal: the build broke"},
			hint:    "nixpass logs",
		},
		{
			name:    "output is not a file",
			nix:     imageNix("e2e-dir", `"$bb" mkdir "$out"; exit 0`),
			code:    3,
			kind:    builder.KindBuild,
			message: []string{"which is not an image file"},
			hint:    "buildLayeredImage",
		},
	}
	for _, e := range everyNixes {
		t.Run(e.name, func(t *testing.T) {
			// One world per environment: its good image is built once.
			w := newWorldIn(t, e)
			dir := w.project("app", imageNix("e2e-good", ""))
			good := buildGood(t, w, dir)
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					w.setNix(dir, tt.nix)
					o := w.run("build", dir, "--json")
					if o.code != tt.code || o.res.Kind != tt.kind || o.res.Status != "failed" {
						t.Fatalf("got exit %d kind %q, want %d %q\n%v", o.code, o.res.Kind, tt.code, tt.kind, o)
					}
					for _, m := range tt.message {
						if !strings.Contains(o.res.Message, m) {
							t.Errorf("message %q lacks %q", o.res.Message, m)
						}
					}
					if !strings.Contains(o.res.Hint, tt.hint) {
						t.Errorf("hint %q lacks %q", o.res.Hint, tt.hint)
					}
					keptImage(t, dir, good, "a failed build")
				})
			}
		})
	}
}

func TestBuildHostilePath(t *testing.T) {
	needNix(t)
	w := newWorld(t)
	name := "it's a \"proj\" $(touch pwned) `touch pwned2` ünïcødé\nline"
	dir := w.project(name, imageNix("e2e-hostile", ""))
	if o := w.run("add", dir); o.code != 0 {
		t.Fatalf("add: %v", o)
	}
	o := w.run("build", dir, "--json")
	if o.code != 0 || o.res.Project != dir {
		t.Fatalf("build: %v", o)
	}
	if _, err := os.Stat(filepath.Join(dir, "result.tar.gz")); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"pwned", "pwned2"} {
		for _, where := range []string{w.root, dir, "."} {
			if _, err := os.Stat(filepath.Join(where, f)); err == nil {
				t.Errorf("a path was executed as shell: %s exists in %s", f, where)
			}
		}
	}
	o = w.run("list", "--json")
	if !strings.Contains(o.stdout, `ünïcødé\nline`) {
		t.Errorf("list does not round-trip the path: %v", o)
	}
}

func TestBuildCancelStopsNixAndKeepsImage(t *testing.T) {
	for _, e := range everyNixes {
		t.Run(e.name, func(t *testing.T) {
			w := newWorldIn(t, e)
			dir := w.project("app", imageNix("e2e-cancel-good", ""))
			good := buildGood(t, w, dir)
			marker := uniqueSleep()
			w.setNix(dir, imageNix("e2e-cancel", `"$bb" `+marker))

			cmd := w.command("build", dir, "--json")
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 30*time.Second, "the builder to start", func() bool { return pgrep(marker) })
			// Ctrl-C in a terminal: the whole foreground process group.
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
			err := cmd.Wait()
			code := 0
			if xe, ok := err.(*exec.ExitError); ok {
				code = xe.ExitCode()
			}
			if code != 130 || !strings.Contains(out.String(), `"kind": "cancelled"`) {
				t.Fatalf("exit %d, want 130\n%s\n%s", code, out.String(), errb.String())
			}
			waitFor(t, 10*time.Second, "the builder to be gone", func() bool { return !pgrep(marker) })
			keptImage(t, dir, good, "cancelling")
		})
	}
}

func TestBuildTimeout(t *testing.T) {
	needNix(t)
	w := newWorld(t)
	w.writeConfig("[builder]\ntimeout = \"3s\"\n")
	marker := uniqueSleep()
	dir := w.project("app", imageNix("e2e-timeout", `"$bb" `+marker))
	o := w.run("build", dir, "--json")
	if o.code != 7 || o.res.Kind != builder.KindTimeout || !strings.Contains(o.res.Message, "3s") {
		t.Fatalf("got %v", o)
	}
	waitFor(t, 10*time.Second, "the builder to be gone", func() bool { return !pgrep(marker) })
}

func TestConfigErrorIsUsageError(t *testing.T) {
	w := newWorld(t)
	w.writeConfig("[vm]\nmemory = \"8X\"\n")
	o := w.run("build", t.TempDir(), "--json")
	if o.code != 1 || !strings.Contains(o.stderr, "config.toml:2") || !strings.Contains(o.stderr, "memory") {
		t.Fatalf("got %v", o)
	}
}

// uniqueSleep is a sleep command line no other process has, so pgrep
// finds exactly the builder that runs it.
func uniqueSleep() string {
	return fmt.Sprintf("sleep %d", 100000+rand.IntN(800000))
}

func pgrep(pattern string) bool {
	return exec.Command("pgrep", "-f", pattern).Run() == nil
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestBuildsAreSerializedAcrossProcesses(t *testing.T) {
	needNix(t)
	w := newWorld(t)
	// A tag of its own each run: a cached store path would not sleep.
	slow := w.project("slow", imageNix(fmt.Sprintf("e2e-lock-slow-%d", rand.IntN(1e9)), `"$bb" sleep 3`))
	fast := w.project("fast", imageNix("e2e-lock-fast", ""))
	first := exec.Command(nixpassBin, "build", slow, "--json")
	first.Env = w.env
	var firstOut bytes.Buffer
	first.Stdout = &firstOut
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the slow build to hold the lock", func() bool { return pgrep(`sleep 3$`) })
	o := w.run("build", fast, "--json")
	if err := first.Wait(); err != nil {
		t.Fatalf("slow build: %v\n%s", err, firstOut.String())
	}
	if o.code != 0 || !strings.Contains(o.stderr, "nixpass: waiting") {
		t.Fatalf("the second build did not wait for the first: %v", o)
	}
	var slowRes builder.Result
	if err := json.Unmarshal(firstOut.Bytes(), &slowRes); err != nil {
		t.Fatal(err)
	}
	if o.res.Finished.Before(slowRes.Finished) {
		t.Errorf("the second build finished (%v) before the first (%v)", o.res.Finished, slowRes.Finished)
	}
}

func TestServiceVerbOnThisMachine(t *testing.T) {
	w := newWorld(t)
	w.env = append(w.env, "HOME="+t.TempDir())
	o := w.run("service", "status")
	if o.code != 0 || !strings.Contains(o.stdout, "installed: false") || !strings.Contains(o.stdout, "nixpass.service") {
		t.Fatalf("status: %v", o)
	}
	// On a machine without systemd (CI's), install must refuse and say
	// why; on a systemd desktop it is left alone so as not to touch the
	// developer's session.
	if _, err := os.Stat("/run/systemd/system"); err != nil {
		o = w.run("service", "install")
		if o.code != 1 || !strings.Contains(o.stderr, "no systemd") {
			t.Fatalf("install without systemd should refuse and say why: %v", o)
		}
	}
}
