package main

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSignalEndsAStuckCommand runs the real binary stuck where it does
// not watch its context (explain reading a standard input that never
// ends) and checks that a first signal ends it after the grace, and a
// second at once, with the shell's status for the signal.
func TestSignalEndsAStuckCommand(t *testing.T) {
	tests := []struct {
		name     string
		signals  []syscall.Signal
		wantCode int
		// minWait and maxWait bound the time from the first signal to
		// the exit.
		minWait, maxWait time.Duration
		wantErr          string
	}{
		{"one SIGTERM", []syscall.Signal{syscall.SIGTERM}, 143, signalGrace - 100*time.Millisecond, signalGrace + 3*time.Second, "still running 2s after SIGTERM"},
		{"one SIGINT", []syscall.Signal{syscall.SIGINT}, 130, signalGrace - 100*time.Millisecond, signalGrace + 3*time.Second, "still running 2s after SIGINT"},
		{"SIGTERM twice", []syscall.Signal{syscall.SIGTERM, syscall.SIGTERM}, 143, 0, signalGrace - 500*time.Millisecond, "SIGTERM again"},
		{"SIGINT then SIGTERM", []syscall.Signal{syscall.SIGINT, syscall.SIGTERM}, 143, 0, signalGrace - 500*time.Millisecond, "SIGTERM again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(nixpassBin, "--config", t.TempDir()+"/config.toml", "explain")
			cmd.Env = append(cmd.Environ(), "NIXPASS_STATE_DIR="+t.TempDir())
			stdin, err := cmd.StdinPipe() // held open: the read never ends
			if err != nil {
				t.Fatal(err)
			}
			defer stdin.Close()
			var errb bytes.Buffer
			cmd.Stderr = &errb
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(300 * time.Millisecond) // let it reach the read
			start := time.Now()
			for _, sig := range tt.signals {
				if err := cmd.Process.Signal(sig); err != nil {
					t.Fatal(err)
				}
				time.Sleep(100 * time.Millisecond)
			}
			waited := make(chan error, 1)
			go func() { waited <- cmd.Wait() }()
			var werr error
			select {
			case werr = <-waited:
			case <-time.After(tt.maxWait + 5*time.Second):
				_ = cmd.Process.Kill()
				t.Fatalf("still running %s after the first signal\n%s", time.Since(start), errb.String())
			}
			took := time.Since(start)
			var ee *exec.ExitError
			if !errors.As(werr, &ee) {
				t.Fatalf("wait: %v, want an exit status\n%s", werr, errb.String())
			}
			if got := ee.ExitCode(); got != tt.wantCode {
				t.Errorf("exit %d, want %d\n%s", got, tt.wantCode, errb.String())
			}
			if took < tt.minWait || took > tt.maxWait {
				t.Errorf("exited %s after the first signal, want between %s and %s", took, tt.minWait, tt.maxWait)
			}
			if !strings.Contains(errb.String(), tt.wantErr) {
				t.Errorf("stderr %q does not say %q", errb.String(), tt.wantErr)
			}
		})
	}
}

// TestListHundredThousandProjects: the real binary loads a config of
// 100,000 projects and lists them (a quadratic parse never finished).
func TestListHundredThousandProjects(t *testing.T) {
	w := newWorld(t)
	var b strings.Builder
	b.WriteString("[builder]\nbackend = \"local\"\n")
	for i := range 100000 {
		fmt.Fprintf(&b, "\n[[project]]\npath = \"/srv/p/%d\"\nwatch = false\n", i)
	}
	w.writeConfig(b.String())
	start := time.Now()
	o := w.run("list")
	if o.code != 0 {
		t.Fatalf("list: exit %d\n%s", o.code, o.stderr)
	}
	t.Logf("listed 100,000 projects in %s", time.Since(start))
	if n := strings.Count(o.stdout, "\n"); n != 100001 {
		t.Errorf("list printed %d lines, want 100001 (a header and every project)", n)
	}
	if !strings.Contains(o.stdout, "/srv/p/99999 ") {
		t.Error("list lacks the last project")
	}
}
