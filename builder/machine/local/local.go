// Package local is the machine that builds with this host's own Nix
// (local.Machine): what a Linux user wants, and what the end-to-end tests
// drive. It checks that nix-daemon will honour the remote builders it
// passes on Nix's command line.
//
// It may import builder (the root), machine, cache, diagnose, runner,
// script and shq; never build, store or docker.
package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/google/renameio/v2"

	"nixpass/builder"
	"nixpass/builder/cache"
	"nixpass/builder/diagnose"
	"nixpass/builder/machine"
	"nixpass/builder/runner"
	"nixpass/builder/script"
	"nixpass/builder/shq"
)

// Machine is the machine.Machine that builds on this host with its own Nix: what a
// Linux user wants, and what the end-to-end tests drive.
type Machine struct {
	// ScriptDir is where the build script is installed.
	ScriptDir string
	// Runner runs the script; nil means runner.Exec.
	Runner runner.Runner
	// Remote is passed to Nix on its command line, so it takes effect
	// with a local store (root) and through nix-daemon for a trusted user.
	Remote machine.Remote
	// Cache is [cache]'s pull: the team cache this machine's builds
	// substitute from.
	Cache cache.Pull
	cache teamCache
	// skipRemote is set by Prepare when the daemon already has Remote's
	// builders in its own nix.conf and would ignore them from us.
	skipRemote atomic.Bool
}

var _ machine.Machine = (*Machine)(nil)

// Describe implements Machine.
func (l *Machine) Describe() string { return "this machine" }

func (l *Machine) runner() runner.Runner {
	if l.Runner == nil {
		return runner.Exec{}
	}
	return l.Runner
}

func (l *Machine) scriptPath() string { return filepath.Join(l.ScriptDir, script.FileName()) }

// Prepare implements Machine.
func (l *Machine) Prepare(ctx context.Context, dir string, progress func(string)) (string, error) {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		msg := fmt.Sprintf("project folder %s is missing or not a folder", dir)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			msg = "project folder: " + err.Error() // e.g. file name too long
		}
		return "", &builder.Error{Kind: builder.KindUnavailable, Err: err,
			Message: msg,
			Hint:    "check the path, or remove the project with: " + shq.Join("nixpass", "remove", dir)}
	}
	if err := installScript(l.scriptPath()); err != nil {
		return "", &builder.Error{Kind: builder.KindUnavailable, Err: err, Message: "install the build script: " + err.Error(),
			Hint: "check that the state folder " + l.ScriptDir + " is writable"}
	}
	var out bytes.Buffer
	_, err := l.runner().Run(ctx, runner.Cmd{Name: "sh", Args: []string{l.scriptPath(), "check"}, Stdout: &out})
	if err != nil {
		if be := machine.SetupProblem(ctx, err, l); be != nil {
			return "", be
		}
		return "", nixMissing(err, "this machine", localNixHint)
	}
	if err := l.checkTrusted(ctx); err != nil {
		return "", err
	}
	l.prepareCache(ctx, progress)
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

func nixMissing(err error, where, hint string) error {
	var xe *runner.ExitError
	if errors.As(err, &xe) && xe.Code == script.ExitNixMissing {
		return &builder.Error{Kind: builder.KindUnavailable, Err: err, Message: "Nix is not installed on " + where, Hint: hint}
	}
	return &builder.Error{Kind: builder.KindUnavailable, Err: err, Message: "check Nix on " + where + ": " + err.Error(), Hint: hint}
}

// RunScript implements Machine. The runner puts the script in its own
// process group and signals the whole group on cancellation, which reaches
// nix-build and its builders; the script's trap removes its temp file.
// Should nixpass itself die (kill -9, a crash), the script sees its
// lifeline (standard input) close and stops its group, and the build's
// locks, inherited as descriptors 3 and up, stay held until the last
// process of the build has exited.
func (l *Machine) RunScript(ctx context.Context, token string, args []string, stdout, stderr io.Writer) (int, error) {
	life, err := machine.NewLifeline()
	if err != nil {
		return -1, err
	}
	defer life.Close()
	res, err := l.runner().Run(ctx, runner.Cmd{
		Name:       "sh",
		Args:       append([]string{l.scriptPath()}, checked(machine.WithLifeline(args))...),
		Env:        append([]string{"NIXPASS_LEADER=1"}, machine.NixConfigEnv(l.NixOptions())...),
		Stdin:      life.R,
		Stdout:     stdout,
		Stderr:     stderr,
		ExtraFiles: machine.BuildLocks(ctx),
	})
	return machine.ScriptExit(res, err)
}

// checked tells a build that Prepare has run the script's check (the
// store round trip), so the build does not run it a second time.
func checked(args []string) []string {
	if len(args) == 0 || args[0] != "build" {
		return args
	}
	return append([]string{"build", "--checked"}, args[1:]...)
}

// Status implements Machine.
func (l *Machine) Status(ctx context.Context) builder.BuilderStatus {
	st := builder.BuilderStatus{Backend: "local", Name: "this machine", State: builder.BuilderRunning, Memory: hostMemory(), CPUs: hostCPUs()}
	if _, err := l.Prepare(ctx, os.TempDir(), nil); err != nil {
		var be *builder.Error
		errors.As(err, &be)
		st.State = builder.BuilderUnavailable
		if be != nil {
			st.Problem, st.Hint = be.Message, be.Hint
		}
	}
	return st
}

// DiagnoseMachine implements machine.Describer for the host.
func (l *Machine) DiagnoseMachine(ctx context.Context) diagnose.Machine {
	return diagnose.Machine{Memory: hostMemory(), CPUs: hostCPUs()}
}

// DiskHint implements machine.DiskAdvisor for the host.
func (l *Machine) DiskHint(ctx context.Context) string {
	free := ""
	if n, err := StoreFree(); err == nil {
		free = builder.HumanBytes(n) + " is free on the Nix store's disk; "
	}
	return free + "nixpass never collects this machine's store itself: free space with nix-collect-garbage -d, or on the disk that holds the project folder"
}

// NixHint implements machine.NixAdvisor: Nix on this host is the user's
// to install.
func (l *Machine) NixHint() string { return localNixHint }

// EmulationHint implements machine.EmulationAdvisor: emulation on this
// host is the user's to set up.
func (l *Machine) EmulationHint(system string) string {
	return fmt.Sprintf("enable qemu-user emulation with the F flag: sudo apt-get install qemu-user-static binfmt-support (Debian/Ubuntu), then check /proc/sys/fs/binfmt_misc/qemu-%s says enabled and flags with F; Nix also needs extra-platforms = %s in /etc/nix/nix.conf (restart nix-daemon) — or drop system from the project to build for this machine", binfmtCPU(system), system)
}

// binfmtCPU is the qemu name of a Nix system's CPU.
func binfmtCPU(system string) string {
	cpu, _, _ := strings.Cut(system, "-")
	return cpu
}

var (
	_ machine.NixAdvisor       = (*Machine)(nil)
	_ machine.EmulationAdvisor = (*Machine)(nil)
	_ machine.Describer        = (*Machine)(nil)
	_ machine.DiskAdvisor      = (*Machine)(nil)
)
