package builder

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/google/renameio/v2"

	"nixpass/builder/diagnose"
	"nixpass/builder/runner"
	"nixpass/builder/script"
	"nixpass/builder/shq"
)

// Local is the Machine that builds on this host with its own Nix: what a
// Linux user wants, and what the end-to-end tests drive.
type Local struct {
	// ScriptDir is where the build script is installed.
	ScriptDir string
	// Runner runs the script; nil means runner.Exec.
	Runner runner.Runner
	// Remote is passed to Nix on its command line, so it takes effect
	// with a local store (root) and through nix-daemon for a trusted user.
	Remote Remote
	// skipRemote is set by Prepare when the daemon already has Remote's
	// builders in its own nix.conf and would ignore them from us.
	skipRemote atomic.Bool
}

var _ Machine = (*Local)(nil)

// Describe implements Machine.
func (l *Local) Describe() string { return "this machine" }

func (l *Local) runner() runner.Runner {
	if l.Runner == nil {
		return runner.Exec{}
	}
	return l.Runner
}

func (l *Local) scriptPath() string { return filepath.Join(l.ScriptDir, script.FileName()) }

// Prepare implements Machine.
func (l *Local) Prepare(ctx context.Context, dir string, progress func(string)) (string, error) {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		msg := fmt.Sprintf("project folder %s is missing or not a folder", dir)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			msg = "project folder: " + err.Error() // e.g. file name too long
		}
		return "", &Error{Kind: KindUnavailable, Err: err,
			Message: msg,
			Hint:    "check the path, or remove the project with: " + shq.Join("nixpass", "remove", dir)}
	}
	if err := installScript(l.scriptPath()); err != nil {
		return "", &Error{Kind: KindUnavailable, Err: err, Message: "install the build script: " + err.Error(),
			Hint: "check that the state folder " + l.ScriptDir + " is writable"}
	}
	var out bytes.Buffer
	_, err := l.runner().Run(ctx, runner.Cmd{Name: "sh", Args: []string{l.scriptPath(), "check"}, Stdout: &out})
	if err != nil {
		if be := setupProblem(ctx, err, l); be != nil {
			return "", be
		}
		return "", nixMissing(err, "this machine", localNixHint)
	}
	if err := l.checkTrusted(ctx); err != nil {
		return "", err
	}
	return dir, nil
}

// installScript writes the embedded script to path unless a copy is
// already there; the file name carries the content hash.
func installScript(path string) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return renameio.WriteFile(path, script.Body(), 0o700)
}

// localNixHint is how to get a working multi-user Nix on Linux: Debian's
// nix-bin alone has no daemon and no build users.
const localNixHint = "install Nix: sudo apt-get install nix-bin nix-setup-systemd (Debian/Ubuntu), then sudo usermod -aG nix-users $USER and log in again; or see https://nixos.org/download"

// setupProblem classifies a failed `check` whose stderr is Nix's own
// error (exit 1): no daemon, a socket the user may not open, no build
// users, a store it may not write. It returns nil for anything else.
func setupProblem(ctx context.Context, err error, m Machine) *Error {
	var xe *runner.ExitError
	if !errors.As(err, &xe) || xe.Code != 1 || xe.Stderr == "" {
		return nil
	}
	ev := machineEvidence(ctx, m)
	// Only set-up verdicts: anything else (a broken nix.conf, say) is
	// reported with Nix's own words by the caller, not with a hint meant
	// for a build.
	d := diagnose.Diagnose(xe.Stderr, ev)
	if d.Kind != diagnose.KindUnavailable && d.Kind != diagnose.KindDiskFull {
		return nil
	}
	return &Error{Kind: KindUnavailable, Err: err, Message: d.Message, Hint: d.Hint}
}

func nixMissing(err error, where, hint string) error {
	var xe *runner.ExitError
	if errors.As(err, &xe) && xe.Code == exitNixMissing {
		return &Error{Kind: KindUnavailable, Err: err, Message: "Nix is not installed on " + where, Hint: hint}
	}
	return &Error{Kind: KindUnavailable, Err: err, Message: "check Nix on " + where + ": " + err.Error(), Hint: hint}
}

// RunScript implements Machine. The runner puts the script in its own
// process group and signals the whole group on cancellation, which reaches
// nix-build and its builders; the script's trap removes its temp file.
// Should nixpass itself die (kill -9, a crash), the script sees its
// lifeline (standard input) close and stops its group, and the build's
// locks, inherited as descriptors 3 and up, stay held until the last
// process of the build has exited.
func (l *Local) RunScript(ctx context.Context, token string, args []string, stdout, stderr io.Writer) (int, error) {
	life, err := newLifeline()
	if err != nil {
		return -1, err
	}
	defer life.close()
	res, err := l.runner().Run(ctx, runner.Cmd{
		Name:       "sh",
		Args:       append([]string{l.scriptPath()}, checked(withLifeline(args))...),
		Env:        append([]string{"NIXPASS_LEADER=1"}, nixConfigEnv(l.nixOptions())...),
		Stdin:      life.r,
		Stdout:     stdout,
		Stderr:     stderr,
		ExtraFiles: buildLocks(ctx),
	})
	return scriptExit(res, err)
}

// checked tells a build that Prepare has run the script's check (the
// store round trip), so the build does not run it a second time.
func checked(args []string) []string {
	if len(args) == 0 || args[0] != "build" {
		return args
	}
	return append([]string{"build", "--checked"}, args[1:]...)
}

// withLifeline tells a build to watch its standard input (see lifeline).
func withLifeline(args []string) []string {
	if len(args) == 0 || args[0] != "build" {
		return args
	}
	return append([]string{"build", "--lifeline"}, args[1:]...)
}

// scriptExit turns a runner outcome into the script's exit status, keeping
// only errors that are not the script's own non-zero exit.
func scriptExit(res *runner.Result, err error) (int, error) {
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

// Status implements Machine.
func (l *Local) Status(ctx context.Context) BuilderStatus {
	st := BuilderStatus{Backend: "local", Name: "this machine", State: BuilderRunning, Memory: hostMemory(), CPUs: hostCPUs()}
	if _, err := l.Prepare(ctx, os.TempDir(), nil); err != nil {
		var be *Error
		errors.As(err, &be)
		st.State = BuilderUnavailable
		if be != nil {
			st.Problem, st.Hint = be.Message, be.Hint
		}
	}
	return st
}

// DiagnoseMachine implements machineDescriber for the host.
func (l *Local) DiagnoseMachine(ctx context.Context) diagnose.Machine {
	return diagnose.Machine{Memory: hostMemory(), CPUs: hostCPUs()}
}

// DiskHint implements diskAdvisor for the host.
func (l *Local) DiskHint(ctx context.Context) string {
	return "free space with nix-collect-garbage -d, or on the disk that holds the project folder"
}
