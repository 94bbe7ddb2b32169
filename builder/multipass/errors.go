package multipass

import (
	"errors"
	"fmt"
	"strings"

	"nixpass/builder/lazyre"
	"nixpass/builder/runner"
	"nixpass/builder/tools"
)

// The sentinels below classify failed multipass commands; match them with
// errors.Is on what a Client method returns, and show Hint(err) to the user.
var (
	// ErrNotInstalled means the multipass CLI is not on PATH: the user
	// should install Multipass (brew install --cask multipass).
	ErrNotInstalled = errors.New("multipass is not installed")
	// ErrDaemonUnavailable means multipassd cannot be reached: the user
	// should start Multipass (open -a Multipass, or restart multipassd).
	ErrDaemonUnavailable = errors.New("the Multipass daemon is not reachable")
	// ErrSocketDenied means the user may not talk to multipassd's socket:
	// the user should get read/write access to it (be in its group) or
	// restart Multipass, which recreates it.
	ErrSocketDenied = errors.New("access to the Multipass socket was denied")
	// ErrInstanceMissing means no instance has that name: the user should
	// create it (nixpass vm create).
	ErrInstanceMissing = errors.New("instance does not exist")
	// ErrInstanceDeleted means the instance was deleted but not purged:
	// the user should recover it (multipass recover NAME) or purge it and
	// create it again.
	ErrInstanceDeleted = errors.New("instance is deleted")
	// ErrAlreadyExists means a launch used a name that is taken, possibly
	// by a deleted instance: the user should use that instance or delete
	// and purge it first.
	ErrAlreadyExists = errors.New("instance already exists")
	// ErrMustBeStopped means settings (CPUs, memory, disk) change only on
	// a stopped instance: the user should stop it first (nixpass vm stop).
	ErrMustBeStopped = errors.New("instance must be stopped")
	// ErrInvalidSize means Multipass rejected a memory or disk size: the
	// user should give a size like 8G, at least 512M of memory and 1G of
	// disk, and never a disk smaller than the current one.
	ErrInvalidSize = errors.New("invalid size")
	// ErrMountSource means the host folder to mount is missing, not a
	// folder, or not readable: the user should check the folder and
	// Multipass's access to it.
	ErrMountSource = errors.New("cannot mount the host folder")
	// ErrExecFailed means `multipass exec` could not run the command or
	// lost the SSH session (often because the VM died): the user should
	// check the VM (nixpass vm status) and restart it.
	ErrExecFailed = errors.New("exec failed")
	// ErrUsage means the CLI rejected its arguments, which is a nixpass
	// bug: the user should report it.
	ErrUsage = errors.New("multipass rejected its arguments")
	// ErrFailed means Multipass reported another failure; the Error's
	// Message says what, and the user should read it.
	ErrFailed = errors.New("multipass failed")
)

// Error is a failed multipass command, classified.
type Error struct {
	// Op is the multipass verb ("start", "info", ...).
	Op string
	// Instance is the instance the command was about, if any.
	Instance string
	// Code is the CLI's exit status, or -1 when it did not exit.
	Code int
	// Message is what Multipass said, without its "<op> failed: "
	// prefix, e.g. `instance "builder" does not exist`.
	Message string
	// Err is one of the sentinels above, or the error that kept the
	// command from running (a cancelled context, for one).
	Err error
}

// Error reads like `multipass start "builder": instance "builder" does not exist`.
func (e *Error) Error() string {
	s := "multipass " + e.Op
	if e.Instance != "" {
		s += fmt.Sprintf(" %q", e.Instance)
	}
	msg := e.Message
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	return s + ": " + msg
}

// Unwrap returns Err, so errors.Is matches the sentinel. It deliberately
// does not expose the *runner.ExitError of the CLI: for exec that type
// means "the remote command's own status", and a Multipass failure must
// never pass for one.
func (e *Error) Unwrap() error { return e.Err }

// Message patterns of the daemon and the client, from the CLI contract and
// Multipass's sources (daemon.cpp, instance_settings_handler.cpp,
// launch.cpp, mount.cpp).
var (
	reMissing = lazyre.New(`instance "[^"]*" does not exist|reason: No such instance`)
	reDeleted = lazyre.New(`instance "[^"]*" is deleted|reason: Instance is deleted`)
	reExists  = lazyre.New(`instance "[^"]*" already exists`)
	reSize    = lazyre.New(`Invalid (memory|disk) size value supplied|is not a valid memory size|Memory less than .* minimum not allowed|Disk can only be expanded|Need a positive size`)
	reSource  = lazyre.New(`Source path "[^"]*" (does not exist|is not a directory|is not readable)`)
)

const (
	msgNoSocket      = "cannot connect to the multipass socket"
	msgDenied        = "multipass socket access denied"
	msgMustBeStopped = "Instance must be stopped for modification"
)

// classify turns a runner failure of `multipass op` into an *Error whose
// Err is a sentinel. For exec, a failure that Multipass did not report
// (no "exec failed: " or "start failed: " line) is the remote command's
// own status and comes back unchanged, as the runner reported it.
func classify(op, instance string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, runner.ErrNotFound) {
		msg := "the multipass command was not found"
		if nf := (*tools.NotFoundError)(nil); errors.As(err, &nf) {
			msg = "the multipass command was not found: " + nf.Error()
		}
		return &Error{Op: op, Instance: instance, Code: -1, Err: ErrNotInstalled, Message: msg}
	}
	var xe *runner.ExitError
	if !errors.As(err, &xe) {
		return &Error{Op: op, Instance: instance, Code: -1, Err: err, Message: err.Error()}
	}
	if op == "exec" {
		return classifyExec(instance, err, xe)
	}
	msg, _ := daemonMessage(xe.Stderr, op)
	return &Error{Op: op, Instance: instance, Code: xe.Code, Message: msg, Err: sentinel(xe.Code, xe.Stderr)}
}

// classifyExec separates Multipass's failures from the remote command's
// status, which shares the exit code and the stderr stream. Multipass
// prefixes its own lines; when it started a stopped instance first, a
// failure of that start is reported as "start failed: ".
func classifyExec(instance string, err error, xe *runner.ExitError) error {
	msg, ok := daemonMessage(xe.Stderr, "exec", "start")
	if !ok {
		return err
	}
	e := &Error{Op: "exec", Instance: instance, Code: xe.Code, Message: msg}
	switch {
	case xe.Code == 255 && !strings.Contains(msg, msgNoSocket) && !strings.Contains(msg, msgDenied):
		e.Err = ErrExecFailed
	case xe.Code == 2 || xe.Code == 3:
		e.Err = sentinel(xe.Code, msg)
	default:
		// A remote command that printed such a line itself.
		return err
	}
	return e
}

// sentinel picks the sentinel for a failure of a non-exec command.
func sentinel(code int, stderr string) error {
	switch {
	case strings.Contains(stderr, msgDenied):
		return ErrSocketDenied
	case strings.Contains(stderr, msgNoSocket) || code == 3:
		return ErrDaemonUnavailable
	case reMissing.MatchString(stderr):
		return ErrInstanceMissing
	case reDeleted.MatchString(stderr):
		return ErrInstanceDeleted
	case reExists.MatchString(stderr):
		return ErrAlreadyExists
	case strings.Contains(stderr, msgMustBeStopped):
		return ErrMustBeStopped
	case reSize.MatchString(stderr):
		return ErrInvalidSize
	case reSource.MatchString(stderr):
		return ErrMountSource
	case code == 1:
		return ErrUsage
	}
	return ErrFailed
}

// daemonMessage finds the first "<verb> failed: " line of stderr for one
// of verbs and returns its message with up to two detail lines, joined by
// "; ". Without such a line (errors the client prints before asking the
// daemon, like `Source path "x" does not exist`) it returns the first
// lines of stderr and false.
func daemonMessage(stderr string, verbs ...string) (string, bool) {
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	for i, l := range lines {
		for _, v := range verbs {
			rest, ok := strings.CutPrefix(l, v+" failed: ")
			if !ok {
				continue
			}
			parts := []string{rest}
			for _, d := range lines[i+1:] {
				if len(parts) == 3 {
					break
				}
				parts = append(parts, strings.TrimSpace(d))
			}
			return joinMessage(parts), true
		}
	}
	if len(lines) > 3 {
		lines = lines[:3]
	}
	return joinMessage(lines), false
}

// joinMessage joins message lines, dropping blank ones and the header the
// daemon puts before a list of errors.
func joinMessage(lines []string) string {
	var keep []string
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" || l == "The following errors occurred:" {
			continue
		}
		keep = append(keep, l)
	}
	return strings.Join(keep, "; ")
}
