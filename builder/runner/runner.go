// Package runner runs external commands for nixpass: one place that owns
// argv handling, output capture, error wrapping and cancellation, so every
// caller (the Multipass driver, the local Nix backend, docker load) behaves
// the same way when a user presses Cancel.
//
// It may import tools only.
package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"nixpass/builder/tools"
)

// Cmd describes one command to run. Args never pass through a shell.
type Cmd struct {
	// Name is the program: a path, or a name found by tools.Finder (PATH,
	// then the OS's install folders).
	Name string
	// Args are the arguments after the program name.
	Args []string
	// Dir is the working directory; empty means the current one.
	Dir string
	// Env, when non-nil, is appended to the current environment.
	Env []string
	// Stdin is the command's standard input; nil means no input.
	Stdin io.Reader
	// Stdout and Stderr, when set, receive the output as it is produced,
	// in addition to the capture returned in Result, which then keeps
	// only the stream's last StreamedCapture bytes: a build that prints
	// gigabytes costs the writer's memory, not a copy of everything.
	Stdout, Stderr io.Writer
	// Grace is how long the process group has after SIGTERM before it is
	// killed; zero means DefaultGrace.
	Grace time.Duration
	// ExtraFiles are open files the command inherits as descriptors 3,
	// 4, ...: a lock held this way lasts as long as the last process
	// that inherited it, not just as long as the caller.
	ExtraFiles []*os.File
}

// DefaultGrace is how long a cancelled command may clean up (remove its
// temporary files) before its process group is killed.
const DefaultGrace = 5 * time.Second

// Result holds what a finished command printed and how it exited.
type Result struct {
	Stdout, Stderr []byte
	// ExitCode is the process's exit status, or -1 when it was killed by a
	// signal or never started.
	ExitCode int
	// Signal is the signal that killed the process, if any.
	Signal syscall.Signal
}

// Runner runs commands. Implementations must stop the command (its whole
// process group) when ctx is done, and must return a non-nil Result even
// when err is non-nil.
type Runner interface {
	// Run runs cmd to completion and returns its output; a non-zero exit is
	// reported as an *ExitError.
	Run(ctx context.Context, cmd Cmd) (*Result, error)
}

// ErrNotFound is returned (wrapped) when the program does not exist; the
// error is a *tools.NotFoundError naming where it was looked for.
var ErrNotFound = tools.ErrNotFound

// ExitError reports a command that ran and exited unsuccessfully.
type ExitError struct {
	// Argv is the full command line, for messages.
	Argv []string
	// Code is the exit status, -1 when killed by a signal.
	Code int
	// Signal is the killing signal, or 0.
	Signal syscall.Signal
	// Stderr is the trimmed standard error of the command.
	Stderr string
}

// Error formats the argv, the exit status and the last line of stderr.
func (e *ExitError) Error() string {
	status := fmt.Sprintf("exit status %d", e.Code)
	if e.Signal != 0 {
		status = "killed by " + e.Signal.String()
	}
	msg := fmt.Sprintf("%s: %s", strings.Join(e.Argv, " "), status)
	if e.Stderr != "" {
		msg += ": " + lastLines(e.Stderr, 3)
	}
	return msg
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "; ")
}

// Exec is the Runner that starts real processes. Each command gets its own
// process group, so cancellation reaches grandchildren (nix-build's
// builders, cp) and not just the direct child.
type Exec struct{}

var _ Runner = Exec{}

// Run implements Runner.
func (Exec) Run(ctx context.Context, c Cmd) (*Result, error) {
	res := &Result{ExitCode: -1}
	// tools, not exec.LookPath: a Mac app started from Finder or launchd
	// has a PATH without /usr/local/bin or /opt/homebrew/bin.
	path, err := tools.Default().Find(c.Name)
	if err != nil {
		return res, err
	}
	cmd := exec.Command(path, c.Args...)
	cmd.Args[0] = c.Name
	cmd.Dir = c.Dir
	if c.Env != nil {
		cmd.Env = append(os.Environ(), c.Env...)
	}
	cmd.Stdin = c.Stdin
	cmd.ExtraFiles = c.ExtraFiles
	stdout, stderr := capture(c.Stdout), capture(c.Stderr)
	cmd.Stdout = tee(stdout, c.Stdout)
	cmd.Stderr = tee(stderr, c.Stderr)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return res, fmt.Errorf("start %s: %w", c.Name, err)
	}
	grace := c.Grace
	if grace == 0 {
		grace = DefaultGrace
	}
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			pgid := cmd.Process.Pid
			_ = syscall.Kill(-pgid, syscall.SIGTERM)
			select {
			case <-done:
			case <-time.After(grace):
				_ = syscall.Kill(-pgid, syscall.SIGKILL)
			}
		case <-done:
		}
	}()
	waitErr := cmd.Wait()
	close(done)
	res.Stdout, res.Stderr = stdout.Bytes(), stderr.Bytes()
	if st, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok {
		if st.Signaled() {
			res.Signal = st.Signal()
		} else {
			res.ExitCode = st.ExitStatus()
		}
	}
	if waitErr == nil {
		return res, nil
	}
	var ee *exec.ExitError
	if !errors.As(waitErr, &ee) {
		return res, fmt.Errorf("run %s: %w", c.Name, waitErr)
	}
	xe := &ExitError{
		Argv:   append([]string{c.Name}, c.Args...),
		Code:   res.ExitCode,
		Signal: res.Signal,
		Stderr: strings.TrimSpace(stderr.String()),
	}
	if ctx.Err() != nil {
		return res, fmt.Errorf("%w (%w)", context.Cause(ctx), xe)
	}
	return res, xe
}

func tee(buf io.Writer, w io.Writer) io.Writer {
	if w == nil {
		return buf
	}
	return io.MultiWriter(buf, w)
}
