package store

import (
	"context"
	"errors"
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

// Lock is an flock(2) lock on a file.
type Lock struct{ f *os.File }

// TryLock locks path without waiting; ok is false when another open file
// description holds it.
func TryLock(path string) (l *Lock, ok bool, err error) {
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
		return &Lock{f: f}, true, nil
	case errors.Is(err, syscall.EWOULDBLOCK):
		f.Close()
		return nil, false, nil
	}
	f.Close()
	return nil, false, err
}

// LockWait locks path, polling until ctx is done; waiting is called once
// when the lock is taken by someone else.
func LockWait(ctx context.Context, path string, waiting func()) (*Lock, error) {
	for first := true; ; first = false {
		l, ok, err := TryLock(path)
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
func (l *Lock) File() *os.File { return l.f }

// Release closes our descriptor; the lock ends when every process that
// inherited it has exited too.
func (l *Lock) Release() {
	if l != nil {
		l.f.Close()
	}
}
