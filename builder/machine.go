package builder

import (
	"context"
	"io"
)

// Machine is where builds run: a Multipass VM, or the host itself.
type Machine interface {
	// Describe names the machine for messages, e.g. `VM "nixpass"`.
	Describe() string
	// Prepare makes the machine ready to build the project in dir: created
	// and running, dir reachable from it, the build script installed and
	// Nix present. It returns dir as the machine sees it. Prepare is
	// idempotent: calling it on a ready machine changes nothing. Failures
	// are *Error values of KindUnavailable with a hint.
	Prepare(ctx context.Context, dir string, progress func(string)) (guestDir string, err error)
	// RunScript runs the build script with args, streaming its output, and
	// returns its exit status. When ctx is done it stops the script where
	// it runs (inside the VM too) and returns once it has ended. token
	// names the run for that purpose.
	RunScript(ctx context.Context, token string, args []string, stdout, stderr io.Writer) (exit int, err error)
	// Status reports the machine's state without changing it.
	Status(ctx context.Context) BuilderStatus
}
