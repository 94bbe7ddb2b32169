package vm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"nixpass/builder"
	"nixpass/builder/diagnose"
	"nixpass/builder/multipass"
	"nixpass/builder/runner"
	"nixpass/builder/script"
	"nixpass/builder/shq"
)

// The build script reaches the VM inside the exec that runs it: every
// verb nixpass runs in the VM goes through installAndRun with the
// script's body at the head of its standard input. A new VM, or a VM a
// new nixpass meets (the script's file name carries its hash), gets the
// script from the same exec that uses it, so there is no separate check
// (an exec that fails because the script is missing) and no separate
// install (a mkdir and a transfer) on any path, and a warm build stays
// one info and one exec (issue 19, item 5).

// installAndRun is the shell program of that exec, run as
//
//	sh -c installAndRun sh SCRIPT SIZE [VERB ARGS...]
//
// The first SIZE bytes of standard input are the script: written to a
// temporary file and renamed to SCRIPT when this version is not there
// yet (a rename inside the VM's own disk, atomic), read and dropped when
// it is. The rest of standard input is the verb's (the build's lifeline).
// Without a verb it only installs. A failed install exits
// exitInstallFailed before the script says anything.
const installAndRun = `f=$1 n=$2
shift 2
if [ -f "$f" ]; then
  head -c "$n" >/dev/null
else
  t="$f.tmp$$"
  if ! { mkdir -p -- "${f%/*}" && head -c "$n" >"$t" && [ "$(wc -c <"$t")" -eq "$n" ] && mv -f -- "$t" "$f"; }; then
    rm -f -- "$t"
    echo "nixpass: cannot install the build script at $f" >&2
    exit 74
  fi
fi
[ "$#" -eq 0 ] && exit 0
exec sh "$f" "$@"`

// exitInstallFailed is installAndRun's status when the script could not
// be installed (EX_IOERR; the script itself never uses it).
const exitInstallFailed = 74

// scriptArgs is the exec's command line that runs the script with args,
// installing it first when needed; its standard input must start with
// script.Body().
func (v *Machine) scriptArgs(args ...string) []string {
	return append([]string{"sh", "-c", installAndRun, "sh", v.scriptPath(), strconv.Itoa(len(script.Body()))}, args...)
}

// installScript installs the build script without running a verb: one
// exec. Builds and the checks install it themselves; this is for the
// verbs that run as root (setup-emulation), which must not create the
// default user's files.
func (v *Machine) installScript(ctx context.Context) error {
	_, err := v.Client.Exec(ctx, v.Name, multipass.ExecOptions{Args: v.scriptArgs(), Stdin: bytes.NewReader(script.Body())})
	if err != nil {
		return v.installFailed(v.readable(err), "")
	}
	return nil
}

// readable gives a failed script exec the command line a user would run
// (sh SCRIPT VERB...) in place of installAndRun's, for messages.
func (v *Machine) readable(err error, verb ...string) error {
	xe, ok := err.(*runner.ExitError)
	if !ok {
		return err
	}
	c := *xe
	c.Argv = append([]string{"multipass", "exec", v.Name, "--", "sh", v.scriptPath()}, verb...)
	return &c
}

// installFailed is the verdict on an exec that could not install the
// script: the VM's own problem (its disk, its home folder), or Multipass's.
func (v *Machine) installFailed(err error, stderr string) error {
	if xe := (*runner.ExitError)(nil); errors.As(err, &xe) && xe.Code == exitInstallFailed {
		if stderr == "" {
			stderr = xe.Stderr
		}
		return &builder.Error{Kind: builder.KindUnavailable, Err: err,
			Message: fmt.Sprintf("could not install the build script in the builder VM %q: %s", v.Name, diagnose.LastNonEmpty(strings.Split(stderr, "\n"))),
			Hint: "check the VM's disk (nixpass vm status) and that its default user can write " + shq.Quote(v.scriptPath()) +
				"; or recreate it: nixpass vm delete --yes && nixpass vm create"}
	}
	return v.unavailable("install the build script in the builder VM", err)
}

// feedScript writes the script's body into w, the write end of the
// exec's standard input, then after (what the verb reads first: an
// upload's header), without blocking the caller (the pipe holds less
// than the script on some systems until the VM reads it). The returned
// channel is closed once the write is over: done, or failed because the
// caller closed w.
func feedScript(w io.Writer, after []byte) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := w.Write(script.Body()); err == nil && len(after) > 0 {
			_, _ = w.Write(after)
		}
	}()
	return done
}

// hostTempFile writes data to a new temporary file on this host, for
// `multipass launch --cloud-init` and `multipass transfer`, and returns
// its path; the caller removes it.
func hostTempFile(pattern string, data []byte) (string, error) {
	f, err := os.CreateTemp("", pattern)
	if err != nil {
		return "", err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}
