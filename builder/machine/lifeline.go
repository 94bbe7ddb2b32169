package machine

import (
	"context"
	"errors"
	"fmt"
	"os"

	"nixpass/builder/runner"
)

// A build's lock must live exactly as long as the build (store.Lock says
// why): a machine that starts the build's processes on this host hands
// the locked files on to them.

type lockCtxKey struct{}

// WithBuildLocks attaches the files a build holds locked to ctx, so a
// machine that starts the build's processes on this host can hand them on
// (Local does; a VM's processes are serialized by a lock inside the VM).
func WithBuildLocks(ctx context.Context, files ...*os.File) context.Context {
	return context.WithValue(ctx, lockCtxKey{}, files)
}

// BuildLocks returns the files attached by WithBuildLocks.
func BuildLocks(ctx context.Context) []*os.File {
	f, _ := ctx.Value(lockCtxKey{}).([]*os.File)
	return f
}

// Lifeline is a pipe whose write end only nixpass holds: the script reads
// its standard input from the read end and stops its whole process group
// when it reaches end of file, which happens the moment nixpass exits,
// however it exits. Inside the VM the same end of file arrives through
// `multipass exec` when its session ends.
type Lifeline struct{ R, W *os.File }

// NewLifeline opens a lifeline.
func NewLifeline() (*Lifeline, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("lifeline pipe: %w", err)
	}
	return &Lifeline{R: r, W: w}, nil
}

// Close ends the lifeline from nixpass's side.
func (l *Lifeline) Close() {
	l.R.Close()
	l.W.Close()
}

// WithLifeline tells a build to watch its standard input (see Lifeline).
func WithLifeline(args []string) []string {
	if len(args) == 0 || args[0] != "build" {
		return args
	}
	return append([]string{"build", "--lifeline"}, args[1:]...)
}

// ScriptExit turns a runner outcome into the script's exit status, keeping
// only errors that are not the script's own non-zero exit.
func ScriptExit(res *runner.Result, err error) (int, error) {
	var xe *runner.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &xe) && xe.Signal != 0:
		return 128 + int(xe.Signal), nil
	case errors.As(err, &xe):
		return xe.Code, nil
	}
	if res != nil && res.ExitCode > 0 {
		return res.ExitCode, nil
	}
	return -1, err
}
