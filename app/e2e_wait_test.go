package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
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
