package builder

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// A build's lock must live exactly as long as the build: not as long as
// the nixpass process that started it, which may be killed (kill -9, OOM,
// a crash) while the script and nix-build go on. flock(2) locks belong to
// the open file description, so a descriptor handed to the script
// (runner.Cmd.ExtraFiles) keeps the lock held until the last process of the
// build has exited. Releasing is therefore closing our descriptor, never
// LOCK_UN, which would drop the lock for the build's processes too.

// heldLock is an flock(2) lock on a file.
type heldLock struct{ f *os.File }

// tryLock locks path without waiting; ok is false when another open file
// description holds it.
func tryLock(path string) (l *heldLock, ok bool, err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, false, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	switch {
	case err == nil:
		return &heldLock{f: f}, true, nil
	case errors.Is(err, syscall.EWOULDBLOCK):
		f.Close()
		return nil, false, nil
	}
	f.Close()
	return nil, false, err
}

// lockWait locks path, polling until ctx is done; waiting is called once
// when the lock is taken by someone else.
func lockWait(ctx context.Context, path string, waiting func()) (*heldLock, error) {
	for first := true; ; first = false {
		l, ok, err := tryLock(path)
		if err != nil || ok {
			return l, err
		}
		if first && waiting != nil {
			waiting()
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// File is the locked file, to hand to the processes of the build.
func (l *heldLock) File() *os.File { return l.f }

// release closes our descriptor; the lock ends when every process that
// inherited it has exited too.
func (l *heldLock) release() {
	if l != nil {
		l.f.Close()
	}
}

type lockCtxKey struct{}

// withBuildLocks attaches the files a build holds locked to ctx, so a
// machine that starts the build's processes on this host can hand them on
// (Local does; a VM's processes are serialized by a lock inside the VM).
func withBuildLocks(ctx context.Context, files ...*os.File) context.Context {
	return context.WithValue(ctx, lockCtxKey{}, files)
}

// buildLocks returns the files attached by withBuildLocks.
func buildLocks(ctx context.Context) []*os.File {
	f, _ := ctx.Value(lockCtxKey{}).([]*os.File)
	return f
}

// lifeline is a pipe whose write end only nixpass holds: the script reads
// its standard input from the read end and stops its whole process group
// when it reaches end of file, which happens the moment nixpass exits,
// however it exits. Inside the VM the same end of file arrives through
// `multipass exec` when its session ends.
type lifeline struct{ r, w *os.File }

func newLifeline() (*lifeline, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("lifeline pipe: %w", err)
	}
	return &lifeline{r: r, w: w}, nil
}

// close ends the lifeline from nixpass's side.
func (l *lifeline) close() {
	l.r.Close()
	l.w.Close()
}
