package multipass

import (
	"context"
	"io"

	"nixpass/builder/runner"
)

// ExecOptions describe a command to run inside an instance.
type ExecOptions struct {
	// Args is the command and its arguments; each arrives inside the
	// instance as one argv element, byte for byte. It is not a shell
	// script: run "sh", "-c", SCRIPT, "sh", ARGS... for one.
	Args []string
	// Dir is the working directory inside the instance; "" keeps the
	// default user's home (the client's mapping of the host's working
	// directory into a mount is turned off, so it never depends on where
	// nixpass happens to run).
	Dir            string
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// Exec runs a command in the instance, starting the instance first when
// it is stopped (Multipass does that). A non-zero status of the command
// itself comes back as a *runner.ExitError with the status unchanged;
// failures of Multipass are *Error values (ErrExecFailed when the SSH
// session failed, ErrInstanceMissing, ...). Cancelling ctx kills the local
// client only, not the remote command: stop that from inside the instance.
func (c *Client) Exec(ctx context.Context, name string, o ExecOptions) (*runner.Result, error) {
	return c.run(ctx, "exec", name, runner.Cmd{Args: execArgs(name, o), Stdin: o.Stdin, Stdout: o.Stdout, Stderr: o.Stderr})
}

// workInDir runs "$@" in the folder "$1" without passing either through
// a shell's parser.
const workInDir = `cd -- "$1" || exit; shift; exec "$@"`

func execArgs(name string, o ExecOptions) []string {
	args := []string{"exec", name}
	switch {
	case o.Dir == "":
		args = append(args, "-n")
	case len(o.Args) > 0 && o.Args[0] == "sudo":
		// With -d, Multipass joins a sudo command's arguments into a
		// shell line without quoting them (exec.cpp), so change folder
		// with a script of our own instead.
		args = append(args, "-n", "--", "sh", "-c", workInDir, "sh", o.Dir)
		return append(args, o.Args...)
	default:
		args = append(args, "-d", o.Dir)
	}
	return append(append(args, "--"), o.Args...)
}
