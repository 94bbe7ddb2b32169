// Package vmusers is the record of who uses the builder VM besides
// builds: a cache upload running in the app, a `nixpass vm builder`
// session of plain Nix. Stopping or resizing the VM (vm stop, vm resize,
// growing its memory after an OOM) waits for them and says what it waits
// for; an idle stop is postponed while one is on record.
//
// A user may be another process (the app's upload seen from the CLI's
// vm stop; an ssh session's proxy seen from the app), so the record lives
// on disk: one lease file per user in Record.Dir, 0600, holding what it
// is, its PID and when it began. The holder keeps the file open with an
// flock(2) lock for as long as it uses the VM: the kernel drops that lock
// when the process ends however it ends (kill -9 included), so a lease
// whose lock is free is stale and ignored, whatever its PID has become
// since. A lease this process cannot open (another user's, such as a
// proxy run by root's nix-daemon) counts while its PID is alive.
//
// It imports no nixpass package.
package vmusers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Registrar is what a user of the VM registers with; *Record is one.
type Registrar interface {
	// Register records a user of the VM described by what (such as "the
	// cache upload of app"); done ends it and may be called more than once.
	Register(what string) (done func())
}

var _ Registrar = (*Record)(nil)

// Record is the lease files in Dir.
type Record struct {
	// Dir holds the lease files (made 0700 when missing).
	Dir string
	// Poll is how often Wait looks again (default 250ms).
	Poll time.Duration
	// Warn, when set, is told why Register could not write a lease (it
	// then records nothing: a stop of the VM would not wait).
	Warn func(error)
}

// User is one user of the VM on record.
type User struct {
	// What the user is, e.g. "the vm builder session".
	What string `json:"what"`
	// PID is the process holding the lease.
	PID int `json:"pid"`
	// Since is when it began.
	Since time.Time `json:"since"`
}

// String is what a wait says of u: what it is, and for another
// process's lease its PID and start ("(PID 4242, since 14:05)").
func (u User) String() string {
	if u.PID == os.Getpid() || u.PID == 0 {
		return u.What
	}
	s := fmt.Sprintf("%s (PID %d", u.What, u.PID)
	if !u.Since.IsZero() {
		s += ", since " + u.Since.Local().Format("15:04")
	}
	return s + ")"
}

const leaseExt = ".lease"

// SessionWhat is how a vm builder session is named on the record and in
// waits; a lease this process may not read is taken for one.
const SessionWhat = "the vm builder session"

// Register implements Registrar: it writes a lease and keeps it locked
// until done. A lease that cannot be written goes to Warn; Register then
// records nothing (the VM's stop does not wait).
func (r *Record) Register(what string) (done func()) {
	l, err := r.Acquire(what)
	if err != nil {
		if r.Warn != nil {
			r.Warn(err)
		}
		return func() {}
	}
	return l.Release
}

// Lease is a held lease.
type Lease struct {
	f    *os.File
	path string
}

// Acquire writes and locks a lease for what. The file is locked before
// it takes its final name, so a reader never finds it unlocked (stale).
func (r *Record) Acquire(what string) (*Lease, error) {
	if err := os.MkdirAll(r.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("record a user of the VM: %w", err)
	}
	f, err := os.CreateTemp(r.Dir, strconv.Itoa(os.Getpid())+"-*.tmp")
	if err != nil {
		return nil, fmt.Errorf("record a user of the VM: %w", err)
	}
	fail := func(err error) (*Lease, error) {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("record a user of the VM: %w", err)
	}
	if err := flock(f, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return fail(err)
	}
	b, _ := json.Marshal(User{What: what, PID: os.Getpid(), Since: time.Now()})
	if _, err := f.Write(b); err != nil {
		return fail(err)
	}
	path := strings.TrimSuffix(f.Name(), ".tmp") + leaseExt
	if err := os.Rename(f.Name(), path); err != nil {
		return fail(err)
	}
	return &Lease{f: f, path: path}, nil
}

// Release removes the lease, then drops its lock; calling it again does
// nothing.
func (l *Lease) Release() {
	if l == nil || l.f == nil {
		return
	}
	os.Remove(l.path)
	l.f.Close()
	l.f = nil
}

// Users returns the users on record, oldest first. Stale leases (their
// lock free: the holder ended) are removed on the way.
func (r *Record) Users() ([]User, error) {
	entries, err := os.ReadDir(r.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the users of the VM: %w", err)
	}
	var users []User
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), leaseExt) {
			continue
		}
		if u, ok := readLease(filepath.Join(r.Dir, e.Name()), os.Open); ok {
			users = append(users, u)
		}
	}
	slices.SortStableFunc(users, func(a, b User) int { return a.Since.Compare(b.Since) })
	return users, nil
}

// readLease reads one lease, opened with open; ok is false for a stale
// or vanished one.
func readLease(path string, open func(string) (*os.File, error)) (u User, ok bool) {
	f, err := open(path)
	if errors.Is(err, fs.ErrPermission) {
		// Another user's lease (a session proxy run by root's
		// nix-daemon): its PID decides, and the file's time says since.
		u = User{What: SessionWhat, PID: leasePID(filepath.Base(path))}
		if st, err := os.Stat(path); err == nil {
			u.Since = st.ModTime()
		}
		if u.PID > 0 && alive(u.PID) {
			return u, true
		}
		os.Remove(path)
		return User{}, false
	}
	if err != nil {
		return User{}, false
	}
	defer f.Close()
	if err := flock(f, syscall.LOCK_SH|syscall.LOCK_NB); err == nil {
		// Nobody holds it: its process ended without removing it.
		os.Remove(path)
		return User{}, false
	}
	b, err := io.ReadAll(f)
	if err != nil || json.Unmarshal(b, &u) != nil || u.What == "" {
		u = User{What: "a user of the VM", PID: leasePID(filepath.Base(path))}
	}
	return u, true
}

// leasePID is the PID a lease's name begins with ("4242-123.lease").
func leasePID(name string) int {
	s, _, _ := strings.Cut(name, "-")
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0
	}
	return n
}

// alive reports whether a process with pid exists (EPERM: it does, as
// another user's).
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}

// Describe joins users for a "waiting for …" line: "the cache upload of
// app and the vm builder session (PID 4242, since 14:05)".
func Describe(users []User) string {
	parts := make([]string, len(users))
	for i, u := range users {
		parts[i] = u.String()
	}
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// Wait returns when no user is on record, or with ctx's error. say gets
// "waiting for …" at once when someone is on record, and again each time
// the users waited for change.
func (r *Record) Wait(ctx context.Context, say func(string)) error {
	poll := r.Poll
	if poll <= 0 {
		poll = 250 * time.Millisecond
	}
	last := ""
	for {
		users, err := r.Users()
		if err != nil {
			return err
		}
		if len(users) == 0 {
			return nil
		}
		if d := Describe(users); d != last {
			last = d
			if say != nil {
				say("waiting for " + d)
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %s: %w", last, ctx.Err())
		case <-time.After(poll):
		}
	}
}
