package core

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"nixpass/builder"
	"nixpass/builder/config"
	"nixpass/builder/multipass/multipasstest"
	"nixpass/builder/scheduler"
	"nixpass/builder/store"
)

// vmEnv loads a config whose builder is the Multipass fake's running VM
// "nixpass", with state in a temporary folder; it returns the fake's log.
func vmEnv(t *testing.T) (*Env, string) {
	t.Helper()
	env, _, logPath := multipasstest.NewWorld(t, multipasstest.FakeInstance{Name: "nixpass", State: "Running", CPUs: 2, Memory: 4 << 30, Disk: 20 << 30})
	multipasstest.Setenv(t, env)
	t.Setenv("NIXPASS_STATE_DIR", t.TempDir())
	cfg := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, "[builder]\nbackend = \"multipass\"\nmultipass = %q\n", multipasstest.Build(t)), 0o600); err != nil {
		t.Fatal(err)
	}
	e, err := Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e, logPath
}

// TestIdleStopInUse: the idle stop refuses (scheduler.ErrInUse, saying
// by what) while a build of another process holds the builder lock, an
// upload or a vm builder session is on record, without a Multipass call;
// with nobody left it stops the VM.
func TestIdleStopInUse(t *testing.T) {
	tests := []struct {
		name string
		use  func(t *testing.T, e *Env) (end func())
		want string
	}{
		{"a build of the CLI", func(t *testing.T, e *Env) func() {
			l, ok, err := store.TryLock(e.lockPath())
			if err != nil || !ok {
				t.Fatalf("lock: %v %v", ok, err)
			}
			_ = l.Claim(store.Holder{PID: os.Getpid(), Since: time.Now(), Command: "nixpass build", Project: "/src/app"})
			return l.Release
		}, "the running build: nixpass build (PID"},
		{"an upload", func(_ *testing.T, e *Env) func() { return e.VMUsers().Register("the cache upload of app") }, "the cache upload of app"},
		{"a session", func(_ *testing.T, e *Env) func() { return e.VMUsers().Register("the vm builder session") }, "the vm builder session"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, logPath := vmEnv(t)
			end := tt.use(t, e)
			err := idleStop{e}.Stop(context.Background())
			if !errors.Is(err, scheduler.ErrInUse) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("idle stop = %v, want ErrInUse naming %q", err, tt.want)
			}
			if calls := multipasstest.Calls(t, logPath); len(calls) != 0 {
				t.Errorf("multipass calls while in use: %q", calls)
			}
			end()
			if err := (idleStop{e}).Stop(context.Background()); err != nil {
				t.Fatalf("idle stop once unused: %v", err)
			}
			calls := multipasstest.Calls(t, logPath)
			if !slices.EqualFunc(calls, [][]string{{"stop", "nixpass"}}, slices.Equal) {
				t.Errorf("multipass calls %q, want one stop", calls)
			}
		})
	}
}

// TestRebuildWithMemoryWaits: the menu's "Rebuild NAME with N GB" waits
// for an upload of the app, saying so as NAME's "waiting" phase, and
// stops, sets and starts the VM only after it ended; cancelled while it
// waits, it touches nothing.
func TestRebuildWithMemoryWaits(t *testing.T) {
	for _, cancel := range []bool{false, true} {
		t.Run(fmt.Sprintf("cancel=%v", cancel), func(t *testing.T) {
			e, logPath := vmEnv(t)
			a := &App{env: e, internal: &builder.Bus{}, logf: t.Logf}
			events, stop := a.internal.Subscribe()
			defer stop()
			done := e.VMUsers().Register("the cache upload of app")
			defer done()
			ctx, cancelCtx := context.WithCancel(context.Background())
			defer cancelCtx()
			errc := make(chan error, 1)
			go func() { errc <- a.RebuildWithMemory(ctx, "/src/app", 8<<30) }()
			timeout := time.After(10 * time.Second)
			for waiting := false; !waiting; {
				select {
				case ev := <-events:
					if p, ok := ev.(builder.BuildPhase); ok && p.Project == "/src/app" && p.Phase == "waiting" {
						if p.Detail != "waiting for the cache upload of app" {
							t.Errorf("phase detail %q", p.Detail)
						}
						waiting = true
					}
				case <-timeout:
					t.Fatal("no waiting phase for /src/app")
				}
			}
			if calls := multipasstest.Calls(t, logPath); len(calls) != 0 {
				t.Fatalf("multipass calls while the upload runs: %q", calls)
			}
			if cancel {
				cancelCtx()
			} else {
				f, _ := os.OpenFile(logPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
				f.WriteString("[\"test: upload ended\"]\n")
				f.Close()
				done()
			}
			err := <-errc
			var ops []string
			for _, c := range multipasstest.Calls(t, logPath) {
				// (info and exec are the status read after it.)
				if c[0] == "stop" || c[0] == "set" || c[0] == "start" || strings.HasPrefix(c[0], "test:") {
					ops = append(ops, c[0])
				}
			}
			want := []string{"test: upload ended", "stop", "set", "start"}
			wantErr := config.ErrProjectNotFound // grown; NAME is not registered here
			if cancel {
				want, wantErr = nil, context.Canceled
			}
			if !slices.Equal(ops, want) {
				t.Errorf("multipass calls %q, want %q", ops, want)
			}
			if !errors.Is(err, wantErr) {
				t.Errorf("RebuildWithMemory = %v, want %v", err, wantErr)
			}
		})
	}
}

// TestHoldVMClaimsTheLock: while a stop waits for the VM's users it keeps
// the builder lock, recorded as its own, so a build that waits behind it
// says what holds it; release frees it.
func TestHoldVMClaimsTheLock(t *testing.T) {
	e, _ := vmEnv(t)
	done := e.VMUsers().Register("the vm builder session")
	go func() { time.Sleep(300 * time.Millisecond); done() }()
	var said []string
	release, err := e.HoldVM(context.Background(), func(s string) { said = append(said, s) })
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(said, []string{"waiting for the vm builder session"}) {
		t.Errorf("said %q", said)
	}
	h, ok := store.ReadHolder(e.lockPath())
	if !ok || h.PID != os.Getpid() || !strings.Contains(h.Command, "(stopping the VM)") {
		t.Errorf("holder %+v %v, want this process stopping the VM", h, ok)
	}
	if _, free, _ := store.TryLock(e.lockPath()); free {
		t.Error("the builder lock is free while the VM is held")
	}
	release()
	l, free, _ := store.TryLock(e.lockPath())
	if !free {
		t.Error("the builder lock is still held after release")
	}
	l.Release()
}
