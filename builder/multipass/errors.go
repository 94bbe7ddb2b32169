package multipass

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"nixpass/builder/runner"
)

// Sentinel errors, matched with errors.Is on what Client methods return.
var (
	// ErrNotInstalled: the multipass CLI is not on PATH; install Multipass.
	ErrNotInstalled = errors.New("multipass is not installed")
	// ErrDaemonUnavailable: multipassd cannot be reached; start Multipass.
	ErrDaemonUnavailable = errors.New("the Multipass daemon is not reachable")
	// ErrSocketDenied: the user may not use multipassd's socket.
	ErrSocketDenied = errors.New("access to the Multipass socket was denied")
	// ErrInstanceMissing: no instance of that name; create it.
	ErrInstanceMissing = errors.New("instance does not exist")
	// ErrAlreadyExists: launch of a name that is taken.
	ErrAlreadyExists = errors.New("instance already exists")
	// ErrMustBeStopped: settings change only on a stopped instance.
	ErrMustBeStopped = errors.New("instance must be stopped")
	// ErrInvalidSize: Multipass rejected a memory or disk size.
	ErrInvalidSize = errors.New("invalid size")
	// ErrExecFailed: `exec` could not run the command (SSH failed).
	ErrExecFailed = errors.New("exec failed")
	// ErrUsage: the CLI rejected its arguments (a nixpass bug).
	ErrUsage = errors.New("multipass usage error")
)

// Error is a failed multipass command, classified.
type Error struct {
	// Op is the multipass verb ("start", "info", ...).
	Op string
	// Instance is the instance the command was about, if any.
	Instance string
	// Code is the CLI's exit status (-1 when it did not run).
	Code int
	// Message is what the daemon said, without the "<op> failed: " prefix.
	Message string
	// Err is the sentinel (or underlying) error.
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

// Unwrap returns the sentinel.
func (e *Error) Unwrap() error { return e.Err }

// classify maps a runner failure of `multipass op` to an *Error, following
// the exit codes and messages of the CLI contract.
func classify(op, instance string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, runner.ErrNotFound) {
		return &Error{Op: op, Instance: instance, Code: -1, Err: ErrNotInstalled, Message: "the multipass command was not found"}
	}
	var xe *runner.ExitError
	if !errors.As(err, &xe) {
		return &Error{Op: op, Instance: instance, Code: -1, Err: err, Message: err.Error()}
	}
	socket := strings.Contains(xe.Stderr, "cannot connect to the multipass socket") || strings.Contains(xe.Stderr, "multipass socket access denied")
	if op == "exec" && !socket && !strings.Contains(xe.Stderr, "exec failed:") {
		// The remote command's own status: the caller interprets it.
		return xe
	}
	msg := daemonMessage(op, xe.Stderr)
	e := &Error{Op: op, Instance: instance, Code: xe.Code, Message: msg, Err: xe}
	switch {
	case strings.Contains(xe.Stderr, "cannot connect to the multipass socket") || xe.Code == 3:
		e.Err = ErrDaemonUnavailable
	case strings.Contains(xe.Stderr, "multipass socket access denied"):
		e.Err = ErrSocketDenied
	case op == "exec" && xe.Code == 255 && strings.Contains(xe.Stderr, "exec failed"):
		e.Err = ErrExecFailed
	case reInstanceMissing.MatchString(xe.Stderr):
		// Only the daemon's `instance "NAME" does not exist`: mount's
		// `Source path "..." does not exist` is about a host folder.
		e.Err = ErrInstanceMissing
	case strings.Contains(xe.Stderr, "already exists"):
		e.Err = ErrAlreadyExists
	case strings.Contains(xe.Stderr, "must be stopped for modification"):
		e.Err = ErrMustBeStopped
	case strings.Contains(xe.Stderr, "Invalid memory size") || strings.Contains(xe.Stderr, "Invalid disk size"):
		e.Err = ErrInvalidSize
	case xe.Code == 1:
		e.Err = ErrUsage
	}
	return e
}

var reInstanceMissing = regexp.MustCompile(`instance "[^"]*" does not exist`)

// daemonMessage strips "<op> failed: " and keeps the first lines.
func daemonMessage(op, stderr string) string {
	s := strings.TrimSpace(stderr)
	s = strings.TrimPrefix(s, op+" failed: ")
	lines := strings.Split(s, "\n")
	if len(lines) > 3 {
		lines = lines[:3]
	}
	return strings.Join(lines, "; ")
}

// Hint says what the user should do about err, or "" when nothing
// specific applies.
func Hint(err error) string {
	switch {
	case errors.Is(err, ErrNotInstalled):
		return "install Multipass: brew install --cask multipass (or see https://multipass.run/install), then try again"
	case errors.Is(err, ErrDaemonUnavailable):
		return "start Multipass (open -a Multipass, or: sudo launchctl kickstart -k system/com.canonical.multipassd) and try again"
	case errors.Is(err, ErrSocketDenied):
		return "your user may not use the Multipass socket: check its permissions, or restart multipassd"
	case errors.Is(err, ErrInstanceMissing):
		return "create it with: nixpass vm create"
	case errors.Is(err, ErrAlreadyExists):
		return "use the existing VM, or delete it first: nixpass vm delete --yes"
	case errors.Is(err, ErrMustBeStopped):
		return "stop the VM first: nixpass vm stop"
	case errors.Is(err, ErrInvalidSize):
		return "use sizes like 4G, 8G, 40G (memory at least 512M, disk at least 1G)"
	case errors.Is(err, ErrExecFailed):
		return "the VM did not answer over SSH: check it with nixpass vm status, or restart it: multipass restart <name>"
	case errors.Is(err, ErrUsage):
		return "this is a nixpass bug (the multipass CLI rejected its arguments): please report it"
	}
	return ""
}
