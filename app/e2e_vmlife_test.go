//go:build linux

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"nixpass/builder"
	"nixpass/builder/multipass/multipasstest"
	"nixpass/builder/store"
	"nixpass/builder/vmusers"
)

// vmLifeWorld is a world whose builder is the Multipass fake's running
// VM "nixpass"; it returns the fake's call log.
func vmLifeWorld(t *testing.T, extra string) (*world, string) {
	t.Helper()
	w := newWorld(t)
	fake := multipasstest.Build(t)
	env, _, logPath := multipasstest.NewWorld(t, multipasstest.FakeInstance{Name: "nixpass", State: "Running", CPUs: 2, Memory: 4 << 30, Disk: 20 << 30})
	w.env = append(append(w.env, env...), "NIXPASS_GUEST_SCRIPT_DIR="+t.TempDir())
	w.writeConfig(fmt.Sprintf("[builder]\nbackend = \"multipass\"\nmultipass = %q\n\n[vm]\nmemory = \"4G\"\n%s", fake, extra))
	return w, logPath
}

// startLogged starts nixpass with args, its stderr in a file it
// returns (and its stdout in the same path + ".out").
func (w *world) startLogged(args ...string) (*exec.Cmd, string) {
	w.t.Helper()
	cmd := w.command(args...)
	cmd.Env = w.env
	stderr := filepath.Join(w.t.TempDir(), "stderr")
	f, err := os.Create(stderr)
	if err != nil {
		w.t.Fatal(err)
	}
	out, err := os.Create(stderr + ".out")
	if err != nil {
		w.t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, f
	if err := cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	f.Close()
	out.Close()
	w.t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd, stderr
}

// waitForText waits until the file at path holds want.
func waitForText(t *testing.T, path, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if b, _ := os.ReadFile(path); strings.Contains(string(b), want) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	b, _ := os.ReadFile(path)
	t.Fatalf("no %q within 30s in:\n%s", want, b)
}

// markLog appends a line to the fake's call log, so the calls' order
// can be checked against when the user of the VM went away.
func markLog(t *testing.T, logPath, mark string) {
	t.Helper()
	f, err := os.OpenFile(logPath, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "[%q]\n", mark)
	f.Close()
}

// userOfVM puts a user on record the way each kind does and returns
// what a wait for it says and how it ends.
func userOfVM(t *testing.T, w *world, kind string) (says string, end func()) {
	t.Helper()
	users := &vmusers.Record{Dir: filepath.Join(w.state, "vm-users")}
	switch kind {
	case "session":
		done := users.Register("the vm builder session")
		return fmt.Sprintf("waiting for the vm builder session (PID %d, since %s)", os.Getpid(), time.Now().Format("15:04")), done
	case "proxy":
		// A real session: nixpass vm proxy, as ssh runs it, relaying to a
		// "VM" that closes the connection when the session ends.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		accepted := make(chan net.Conn, 1)
		go func() {
			c, err := l.Accept()
			if err == nil {
				accepted <- c
			}
		}()
		cmd := exec.Command(nixpassBin, "vm", "proxy", "--users", users.Dir, "127.0.0.1", fmt.Sprint(l.Addr().(*net.TCPAddr).Port))
		in, _ := cmd.StdinPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		conn := <-accepted
		return fmt.Sprintf("waiting for the vm builder session (PID %d, since %s)", cmd.Process.Pid, time.Now().Format("15:04")), func() {
			conn.Close()
			l.Close()
			if err := cmd.Wait(); err != nil {
				t.Errorf("vm proxy: %v", err)
			}
			in.Close()
		}
	case "upload":
		return "waiting for the cache upload of app", users.Register("the cache upload of app")
	case "build":
		l, ok, err := store.TryLock(filepath.Join(w.state, "locks", "multipass-nixpass.lock"))
		if err != nil || !ok {
			t.Fatalf("take the builder lock: %v %v", ok, err)
		}
		_ = l.Claim(store.Holder{PID: os.Getpid(), Since: time.Now(), Command: "nixpass build", Project: "/src/app"})
		return "waiting for the running build: nixpass build (PID " + fmt.Sprint(os.Getpid()) + ", building /src/app", l.Release
	}
	t.Fatalf("unknown user %q", kind)
	return "", nil
}

// TestVMStopWaitsForUsers: vm stop and vm resize wait for the running
// build, an upload of the app and a vm builder session of another
// process, say what they wait for, and ask Multipass to stop only after
// the user went away (the fake's call log holds the test's mark before
// the stop); Ctrl-C during the wait ends it with no stop at all.
func TestVMStopWaitsForUsers(t *testing.T) {
	tests := []struct {
		verb   []string
		user   string
		cancel bool
	}{
		{[]string{"vm", "stop"}, "session", false},
		{[]string{"vm", "stop"}, "proxy", false},
		{[]string{"vm", "stop"}, "upload", false},
		{[]string{"vm", "stop"}, "build", false},
		{[]string{"vm", "resize", "--memory", "8G"}, "session", false},
		{[]string{"vm", "resize", "--memory", "8G"}, "upload", false},
		{[]string{"vm", "stop"}, "session", true},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("%s/%s", strings.Join(tt.verb[:2], " "), tt.user)
		if tt.cancel {
			name += "/cancelled"
		}
		t.Run(name, func(t *testing.T) {
			w, logPath := vmLifeWorld(t, "")
			says, endUser := userOfVM(t, w, tt.user)
			end := sync.OnceFunc(endUser)
			defer end()
			cmd, stderr := w.startLogged(tt.verb...)
			waitForText(t, stderr, says)
			time.Sleep(300 * time.Millisecond)
			for _, c := range multipasstest.Calls(t, logPath) {
				if c[0] == "stop" || c[0] == "set" {
					t.Fatalf("multipass %q while %s was on record", c, tt.user)
				}
			}
			if tt.cancel {
				cmd.Process.Signal(syscall.SIGINT)
			} else {
				markLog(t, logPath, "test: the user went away")
				end()
			}
			err := cmd.Wait()
			out, _ := os.ReadFile(stderr)
			var xe *exec.ExitError
			if tt.cancel != errors.As(err, &xe) {
				t.Fatalf("%v: %v\n%s", tt.verb, err, out)
			}
			var ops []string
			for _, c := range multipasstest.Calls(t, logPath) {
				if c[0] == "stop" || c[0] == "set" || c[0] == "start" || strings.HasPrefix(c[0], "test:") {
					ops = append(ops, c[0])
				}
			}
			want := []string{"test: the user went away", "stop"}
			if tt.verb[1] == "resize" {
				want = append(want, "set", "start")
			}
			if tt.cancel {
				want = nil
				if !strings.Contains(string(out), "cancelled while "+says) || !strings.Contains(string(out), "the VM was left as it is") || cmd.ProcessState.ExitCode() != 130 {
					t.Errorf("the cancelled stop: exit %d, says:\n%s\nwant exit 130 (cancelled), what it waited for and that the VM was left alone", cmd.ProcessState.ExitCode(), out)
				}
			}
			if !slices.Equal(ops, want) {
				t.Errorf("multipass calls %q, want %q\nstderr:\n%s", ops, want, out)
			}
		})
	}
}

// TestVMGrowWaitsForSession: a build that runs out of memory with
// auto_grow (the fake's exec runs the real script here, in a 200 MiB
// memory cgroup) waits, before stopping the VM to grow it, for a vm
// builder session of another process, says so in its progress, and
// stops, sets and starts the VM only after the session ended.
func TestVMGrowWaitsForSession(t *testing.T) {
	needNix(t)
	w, logPath := vmLifeWorld(t, "auto_grow = true\nmax_memory = \"16G\"\n")
	dir := w.project("app", imageNix(fmt.Sprintf("e2e-grow-wait-%d", rand.IntN(1e9)), `exec "$bb" awk 'BEGIN { s = "xxxxxxxxxxxxxxxx"; while (1) s = s s }'`))
	cfg, _ := os.ReadFile(w.config)
	w.writeConfig(string(cfg) + fmt.Sprintf("\n[[project]]\npath = %q\n", dir))
	w.limitMemory(200 << 20)
	says, endUser := userOfVM(t, w, "session")
	end := sync.OnceFunc(endUser)
	defer end()
	cmd, stderr := w.startLogged("build", dir, "--json")
	waitForText(t, stderr, says+" before resizing the VM")
	time.Sleep(300 * time.Millisecond)
	for _, c := range multipasstest.Calls(t, logPath) {
		if c[0] == "stop" || c[0] == "set" {
			t.Fatalf("multipass %q while the session was on record", c)
		}
	}
	markLog(t, logPath, "test: the session ended")
	end()
	_ = cmd.Wait()
	var ops []string
	for _, c := range multipasstest.Calls(t, logPath) {
		switch {
		case c[0] == "stop" || c[0] == "set" || c[0] == "start" || strings.HasPrefix(c[0], "test:"):
			ops = append(ops, c[0])
		case c[0] == "exec" && slices.Contains(c, "--token"):
			if len(ops) == 0 || ops[len(ops)-1] != "build" {
				ops = append(ops, "build")
			}
		}
	}
	want := []string{"build", "test: the session ended", "stop", "set", "start", "build"}
	if !slices.Equal(ops, want) {
		out, _ := os.ReadFile(stderr)
		t.Errorf("multipass calls %q, want %q\nstderr:\n%s", ops, want, out)
	}
	var res builder.Result
	out, _ := os.ReadFile(stderr + ".out")
	if err := json.Unmarshal(out, &res); err != nil || !strings.Contains(res.Warning, "grew the builder VM to 8 GiB") {
		t.Errorf("result %s (%v): want it to say the VM grew", out, err)
	}
}

// TestAppIdleStopPostponed: the app's idle stop (idle_stop = "1s") after
// a build in the VM is postponed while a vm builder session of another
// process is on record, and the app's log says why; once the session has
// ended the VM is stopped (the fake's log holds the test's mark before
// the stop) and the app announces the idle stop.
func TestAppIdleStopPostponed(t *testing.T) {
	needNix(t)
	w, logPath := vmLifeWorld(t, "idle_stop = \"1s\"\n")
	dir := w.project("app", imageNix(fmt.Sprintf("e2e-idle-%d", rand.IntN(1e9)), ""))
	cfg, _ := os.ReadFile(w.config)
	w.writeConfig(string(cfg) + fmt.Sprintf("\n[[project]]\npath = %q\n", dir))
	says, endUser := userOfVM(t, w, "session")
	end := sync.OnceFunc(endUser)
	defer end()

	h := &headless{t: t, done: make(chan error, 1)}
	h.cmd = exec.Command(nixpassBin, "app", "--headless", "--json")
	h.cmd.Env = w.env
	errPath := filepath.Join(t.TempDir(), "stderr")
	f, err := os.Create(errPath)
	if err != nil {
		t.Fatal(err)
	}
	h.cmd.Stderr = f
	out, _ := h.cmd.StdoutPipe()
	if err := h.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	go h.read(out)
	t.Cleanup(func() { _ = h.cmd.Process.Kill() })
	h.waitFor("the first build", func() bool { return h.count("BuildFinished", `"status":"succeeded"`) == 1 })

	waitForText(t, errPath, "idle stop of the builder postponed by 1s: the builder is in use: "+strings.TrimPrefix(says, "waiting for "))
	time.Sleep(1500 * time.Millisecond)
	for _, c := range multipasstest.Calls(t, logPath) {
		if c[0] == "stop" {
			t.Fatalf("multipass stop while the session was on record")
		}
	}
	markLog(t, logPath, "test: the session ended")
	end()
	h.waitFor("the idle stop", func() bool { return h.count("BuilderChanged", "stopped after being idle") == 1 })
	var ops []string
	for _, c := range multipasstest.Calls(t, logPath) {
		if c[0] == "stop" || strings.HasPrefix(c[0], "test:") {
			ops = append(ops, c[0])
		}
	}
	if want := []string{"test: the session ended", "stop"}; !slices.Equal(ops, want) {
		t.Errorf("multipass calls %q, want %q", ops, want)
	}
}
