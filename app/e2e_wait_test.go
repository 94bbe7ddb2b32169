package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"nixpass/builder/multipass/multipasstest"
)

// No silent waits: a build that finds another one holding the builder
// says so within a second, naming it (PID, command, since when), on its
// progress line; two real builds on the local backend.
func TestLockWaitSaysWhoHoldsIt(t *testing.T) {
	needNix(t)
	w := newWorld(t)
	slow := w.project("slow", imageNix("e2e-wait-slow", fmt.Sprintf("sleep 6 # %d", time.Now().UnixNano())))
	quick := w.project("quick", imageNix(fmt.Sprintf("e2e-wait-%d", time.Now().UnixNano()), ""))
	w.writeConfig(fmt.Sprintf("[builder]\nbackend = \"local\"\n\n[[project]]\npath = %q\n\n[[project]]\npath = %q\n", slow, quick))

	first := w.command("build", slow)
	var firstErr bytes.Buffer
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	first.Stdout, first.Stderr = &firstErr, pw
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	defer func() { _ = first.Wait() }()
	// The first build holds the lock once Nix is building.
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "nixpass: building") {
			break
		}
	}
	go func() {
		for sc.Scan() {
		}
	}()

	second := w.command("build", quick)
	qr, qw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	second.Stderr = qw
	start := time.Now()
	if err := second.Start(); err != nil {
		t.Fatal(err)
	}
	qw.Close()
	var said string
	var after time.Duration
	qs := bufio.NewScanner(qr)
	for qs.Scan() {
		if strings.Contains(qs.Text(), "nixpass: waiting") {
			said, after = qs.Text(), time.Since(start)
			break
		}
	}
	go func() {
		for qs.Scan() {
		}
	}()
	if err := second.Wait(); err != nil {
		t.Errorf("the waiting build failed: %v", err)
	}
	want := fmt.Sprintf("waiting for another nixpass build on this builder: nixpass build %s (PID %d, building %s since ", slow, first.Process.Pid, slow)
	if !strings.Contains(said, want) {
		t.Fatalf("the waiting build said %q, want it to contain %q", said, want)
	}
	if after > time.Second {
		t.Errorf("the wait was announced %s after the start, want within a second", after)
	}
}

// A Nix command (not nixpass) building the same derivation holds Nix's
// lock on its output: the nixpass build says at once that Nix waits, and
// which process holds the lock (PID, command, since when). As root with a local store, and as a user through nix-daemon, whose
// worker holding the lock is named after the nix-build it serves.
func TestNixLockWaitSaysWhoHoldsIt(t *testing.T) {
	for _, e := range []*nixEnv{hostEnv, userEnv} {
		t.Run(e.name, func(t *testing.T) {
			w := newWorldIn(t, e)
			dir := w.project("same", imageNix(fmt.Sprintf("e2e-nixlock-%d", time.Now().UnixNano()), "sleep 6"))
			w.writeConfig(fmt.Sprintf("[builder]\nbackend = \"local\"\n\n[[project]]\npath = %q\n", dir))
			said, after, holder := nixLockWait(t, w, dir)
			want := fmt.Sprintf(": held by PID %d (nix-build --no-out-link default.nix) since ", holder)
			if !strings.Contains(said, want) {
				t.Fatalf("the waiting build said %q, want it to contain %q", said, want)
			}
			if daemon := strings.Contains(said, ", through nix-daemon PID "); daemon != (e.user != "") {
				t.Errorf("said %q: through the daemon %t, want %t", said, daemon, e.user != "")
			}
			if after > time.Second {
				t.Errorf("nixpass said it %s after Nix's own line, want within a second", after)
			}
		})
	}
}

// The same in the VM, through the fake multipass whose exec runs the
// script here: nixpass cannot read the builder's /proc, so the script's
// own sampler, inside the build's exec (no other Multipass call), names
// the holder within a second of Nix's line. As root with a local store,
// and as a user through nix-daemon, whose worker holds the lock for the
// nix-build it serves: the holder said is that nix-build.
func TestVMNixLockWaitSaysWhoHoldsIt(t *testing.T) {
	for _, e := range []*nixEnv{hostEnv, userEnv} {
		t.Run(e.name, func(t *testing.T) {
			w := newWorldIn(t, e)
			fake := multipasstest.Build(t)
			_, state, _ := multipasstest.NewWorld(t, multipasstest.FakeInstance{Name: "nixpass", State: "Running", CPUs: 2, Memory: 4 << 30, Disk: 20 << 30})
			// The fake's state and the guest's script folder where the
			// environment's user may write (t.TempDir's parent is root's).
			fakeDir, guest := filepath.Join(w.root, "fake"), filepath.Join(w.root, "guest")
			for _, d := range []string{fakeDir, guest} {
				if err := os.MkdirAll(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			fakeLog := filepath.Join(fakeDir, "calls.jsonl")
			if err := os.WriteFile(filepath.Join(fakeDir, "state.json"), readFile(t, state), 0o644); err != nil {
				t.Fatal(err)
			}
			w.own(fakeDir)
			w.own(guest)
			w.env = append(w.env, multipasstest.EnvState+"="+filepath.Join(fakeDir, "state.json"), multipasstest.EnvLog+"="+fakeLog,
				"NIXPASS_GUEST_SCRIPT_DIR="+guest)
			dir := w.project("same", imageNix(fmt.Sprintf("e2e-vm-nixlock-%d", time.Now().UnixNano()), "sleep 8"))
			w.writeConfig(fmt.Sprintf("[builder]\nbackend = \"multipass\"\nmultipass = %q\n\n[[project]]\npath = %q\n", fake, dir))
			began := time.Now()
			said, after, holder := nixLockWait(t, w, dir)
			// The holder started between began and now: either minute
			// (the test may cross one).
			held := fmt.Sprintf(": held by PID %d (nix-build --no-out-link default.nix) since ", holder)
			if !strings.Contains(said, held+began.Format("15:04")) && !strings.Contains(said, held+time.Now().Format("15:04")) {
				t.Fatalf("the waiting build said %q, want it to contain %q and the holder's start (%s to %s)", said, held, began.Format("15:04"), time.Now().Format("15:04"))
			}
			if daemon := strings.Contains(said, ", through nix-daemon PID "); daemon != (e.user != "") {
				t.Errorf("said %q: through the daemon %t, want %t", said, daemon, e.user != "")
			}
			if after > 1500*time.Millisecond {
				t.Errorf("nixpass named the holder %s after Nix's own line, want within a second (the sampler's period)", after)
			}
			t.Logf("said %q, %s after Nix", said, after)
			// One build exec: the holder came from inside it.
			execs := 0
			for _, c := range multipasstest.Calls(t, fakeLog) {
				if c[0] == "exec" && slices.Contains(c, "build") {
					execs++
				}
			}
			if execs > 2 {
				t.Errorf("%d build execs (the first may install the script), want no more: %q", execs, multipasstest.Calls(t, fakeLog))
			}
		})
	}
}

// nixLockWait starts nix-build on dir's default.nix, then `nixpass build
// dir` once Nix is building, and returns what nixpass said of the wait
// once it named a holder, how long after Nix's own "waiting for lock"
// line, and the nix-build's PID.
func nixLockWait(t *testing.T, w *world, dir string) (said string, after time.Duration, holder int) {
	t.Helper()
	nix := exec.Command("nix-build", "--no-out-link", "default.nix")
	nix.Dir, nix.Env = dir, w.env
	if w.in.user != "" {
		nix.SysProcAttr = &syscall.SysProcAttr{Credential: w.in.credential(t)}
	}
	nr, nw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	nix.Stderr = nw
	if err := nix.Start(); err != nil {
		t.Fatal(err)
	}
	nw.Close()
	defer func() { _ = nix.Wait() }()
	ns := bufio.NewScanner(nr)
	for ns.Scan() {
		if strings.HasPrefix(ns.Text(), "building '") {
			break
		}
	}
	go func() {
		for ns.Scan() {
		}
	}()

	second := w.command("build", dir)
	qr, qw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	second.Stderr = qw
	if err := second.Start(); err != nil {
		t.Fatal(err)
	}
	qw.Close()
	// nixpass's line and Nix's own, each when it arrived.
	var nixSaid, weSaid time.Time
	var lines []string
	qs := bufio.NewScanner(qr)
	for qs.Scan() && (nixSaid.IsZero() || weSaid.IsZero()) {
		line := qs.Text()
		lines = append(lines, line)
		if strings.HasPrefix(line, "waiting for lock on ") && nixSaid.IsZero() {
			nixSaid = time.Now()
		}
		if strings.HasPrefix(line, "nixpass: waiting: Nix is waiting for lock on ") && strings.Contains(line, ": held by ") && weSaid.IsZero() {
			said, weSaid = line, time.Now()
		}
	}
	go func() {
		for qs.Scan() {
		}
	}()
	if err := second.Wait(); err != nil {
		t.Errorf("the waiting build failed: %v", err)
	}
	if nixSaid.IsZero() || weSaid.IsZero() {
		t.Fatalf("Nix's wait seen %t, nixpass's holder said %t; nixpass's stderr:\n%s", !nixSaid.IsZero(), !weSaid.IsZero(), strings.Join(lines, "\n"))
	}
	return said, weSaid.Sub(nixSaid), nix.Process.Pid
}
