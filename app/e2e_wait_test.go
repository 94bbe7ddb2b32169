package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
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
// which process holds the lock (PID, command, since when).
func TestNixLockWaitSaysWhoHoldsIt(t *testing.T) {
	needNix(t)
	w := newWorld(t)
	dir := w.project("same", imageNix(fmt.Sprintf("e2e-nixlock-%d", time.Now().UnixNano()), "sleep 6"))
	w.writeConfig(fmt.Sprintf("[builder]\nbackend = \"local\"\n\n[[project]]\npath = %q\n", dir))

	nix := exec.Command("nix-build", "--no-out-link", "default.nix")
	nix.Dir, nix.Env = dir, w.env
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
	// nixpass's line and Nix's own, each when it arrived: nixpass's
	// comes with Nix's (it is said while reading it), never a second
	// later.
	var said string
	var nixSaid, weSaid time.Time
	qs := bufio.NewScanner(qr)
	for qs.Scan() && (nixSaid.IsZero() || weSaid.IsZero()) {
		line := qs.Text()
		if strings.HasPrefix(line, "waiting for lock on ") && nixSaid.IsZero() {
			nixSaid = time.Now()
		}
		if strings.HasPrefix(line, "nixpass: waiting: Nix is waiting for lock on ") && weSaid.IsZero() {
			said, weSaid = line, time.Now()
		}
	}
	after := weSaid.Sub(nixSaid)
	go func() {
		for qs.Scan() {
		}
	}()
	if err := second.Wait(); err != nil {
		t.Errorf("the waiting build failed: %v", err)
	}
	want := fmt.Sprintf(": held by PID %d (nix-build --no-out-link default.nix) since ", nix.Process.Pid)
	if !strings.Contains(said, want) {
		t.Fatalf("the waiting build said %q, want it to contain %q", said, want)
	}
	if nixSaid.IsZero() || weSaid.IsZero() || after > time.Second {
		t.Errorf("nixpass said it %s after Nix's own line (Nix's seen: %t), want within a second", after, !nixSaid.IsZero())
	}
}
