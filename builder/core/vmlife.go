package core

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"nixpass/builder"
	"nixpass/builder/core/fast"
	"nixpass/builder/redact"
	"nixpass/builder/scheduler"
	"nixpass/builder/store"
	"nixpass/builder/vmusers"
)

// The VM's lifecycle (rule 1 of the architecture's "Rules every feature
// keeps"): vm stop, vm resize, the menu's stop and "Rebuild with N GB"
// wait for the running build, the uploads and the vm builder sessions,
// saying what they wait for; growing the VM inside a build (auto_grow)
// holds the builder lock already and waits for the rest
// (build.Builder.VMUsers); an idle stop is postponed instead (idleStop).

// VMUsers is the record of who uses the VM besides builds: the app's
// cache uploads and vm builder sessions, in any process.
func (e *Env) VMUsers() *vmusers.Record {
	return &vmusers.Record{Dir: filepath.Join(e.StateDir, "vm-users")}
}

// lockPath is the builder lock every build of this builder holds.
func (e *Env) lockPath() string {
	return fast.LockPath(e.Config, e.StateDir)
}

// HoldVM waits until nothing else uses the VM: first the running build
// (the builder lock, which it keeps until release, so no build starts
// while the VM stops), then the uploads and vm builder sessions on
// record. say gets "waiting for …" whenever what it waits for changes;
// ctx ends the wait with its error.
func (e *Env) HoldVM(ctx context.Context, say func(string)) (release func(), err error) {
	last := "waiting"
	tell := func(s string) {
		last = s
		if say != nil {
			say(s)
		}
	}
	path := e.lockPath()
	l, err := store.LockWait(ctx, path, func() { tell("waiting for " + runningBuild(path)) })
	if err != nil {
		return nil, waitEnded(ctx, last, fmt.Errorf("wait for %s: %w", runningBuild(path), err))
	}
	// A build that waits meanwhile says what holds the lock.
	_ = l.Claim(store.Holder{PID: os.Getpid(), Since: time.Now(), Command: selfCommand() + " (stopping the VM)"})
	if err := e.VMUsers().Wait(ctx, tell); err != nil {
		l.Release()
		return nil, waitEnded(ctx, last, err)
	}
	return l.Release, nil
}

// waitEnded is a wait that ctx ended (Ctrl-C, the menu's cancel) as a
// cancellation saying what it was waiting for (last) and that the VM
// was left alone.
func waitEnded(ctx context.Context, last string, err error) error {
	if ctx.Err() == nil {
		return err
	}
	return &builder.Error{Kind: builder.KindCancelled, Err: err, Message: "cancelled while " + last,
		Hint: "the VM was left as it is; run it again once that has ended"}
}

// selfCommand is this process's command line for the lock's holder
// record, with URLs' credentials masked.
func selfCommand() string {
	return redact.URLs(strings.Join(append([]string{filepath.Base(os.Args[0])}, os.Args[1:]...), " "))
}

// runningBuild names the build holding the builder lock at path.
func runningBuild(path string) string {
	if h, ok := store.ReadHolder(path); ok {
		return "the running build: " + h.String()
	}
	return "the running build"
}

// idleStop is the scheduler's idle stop of the VM: never under a build
// of another process (the CLI) or a user on record; those postpone it.
type idleStop struct{ e *Env }

var _ scheduler.Stopper = idleStop{}

// Stop implements scheduler.Stopper.
func (s idleStop) Stop(ctx context.Context) error {
	path := s.e.lockPath()
	l, ok, err := store.TryLock(path)
	if err != nil {
		return fmt.Errorf("stop the idle VM: %w", err)
	}
	if !ok {
		return fmt.Errorf("%w: %s", scheduler.ErrInUse, runningBuild(path))
	}
	defer l.Release()
	users, err := s.e.VMUsers().Users()
	if err != nil {
		return fmt.Errorf("stop the idle VM: %w", err)
	}
	if len(users) > 0 {
		return fmt.Errorf("%w: %s", scheduler.ErrInUse, vmusers.Describe(users))
	}
	return s.e.VM.Stop(ctx)
}

// phaseSay publishes what a wait of the menu's action waits for as the
// project's progress (a "waiting" BuildPhase), and logs it.
func (a *App) phaseSay(dir string) func(string) {
	return func(s string) {
		a.logf("%s", s)
		if dir != "" {
			a.internal.Publish(builder.BuildPhase{At: builder.At{Time: time.Now()}, Project: dir, Phase: "waiting", Detail: s})
		}
	}
}
