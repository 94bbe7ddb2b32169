// Package vm is the machine that builds in a Multipass VM (vm.Machine),
// driven only through the multipass CLI: creating, starting, resizing and
// deleting it, its first-boot cloud-init, mounting the project folders, the
// build script inside it and its cancellation, emulation of the other Linux
// system, and the remote builders' SSH keys and nix.conf in the VM.
//
// It may import builder (the root), machine, multipass, diagnose, runner,
// script and shq; never build, store or docker.
package vm

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"nixpass/builder"
	"nixpass/builder/diagnose"
	"nixpass/builder/machine"
	"nixpass/builder/multipass"
	"nixpass/builder/runner"
	"nixpass/builder/script"
	"nixpass/builder/shq"
)

// Spec is the size and image of the builder VM.
type Spec struct {
	CPUs int
	// Memory, Disk and Swap are sizes in bytes.
	Memory, Disk, Swap int64
	// Image is the Ubuntu image to launch, e.g. "24.04".
	Image string
}

// Machine is the machine.Machine that builds inside a Multipass instance, driven only
// through the multipass CLI.
type Machine struct {
	Client *multipass.Client
	Name   string
	Spec   Spec
	// AutoCreate launches the VM on first use when it does not exist.
	AutoCreate bool
	// GuestScriptDir is where the build script lives inside the VM.
	GuestScriptDir string
	// LaunchTimeout bounds `multipass launch`, which includes installing
	// Nix; zero means 20 minutes.
	LaunchTimeout time.Duration
	// Remote is written into the VM's nix-daemon configuration
	// (builders.go).
	Remote machine.Remote
	// GuestNixDir is the VM's Nix configuration folder; "" means
	// DefaultGuestNixDir. Tests point it at a host folder.
	GuestNixDir string
	// KnownHosts pins builders' host keys for machine lines without one;
	// "" means ~/.ssh/known_hosts.
	KnownHosts string
	// SSHConfig is the user's ssh config, whose Host aliases builders
	// lines may name; "" means ~/.ssh/config.
	SSHConfig string
	// GuestSystemdDir is the drop-in folder of the VM's nix-daemon unit;
	// "" means its default (sshupload.go).
	GuestSystemdDir string
	// Cache is [cache]'s pull (the team cache's substituter, key and
	// lookup settings), written into the managed nix.conf with Remote.
	Cache []machine.Setting
	// NetrcFile is a netrc file on the host installed as the VM daemon's
	// netrc (vmremote.go); "" installs none.
	NetrcFile string
	// Runner runs host commands (ssh-keygen); nil means runner.Exec.
	Runner runner.Runner
	// MinFree and MaxFree are [vm] min_free and max_free in bytes: the
	// free space kept on the VM's store (heal.go); zero keeps none.
	MinFree, MaxFree int64
	// MaxMemory is [vm] max_memory in bytes, and AutoGrow [vm] auto_grow:
	// how far and whether a build out of memory grows the VM (heal.go).
	MaxMemory int64
	AutoGrow  bool
	// Upload is [cache] upload, run inside the VM by the build script
	// (upload.go); a zero Upload uploads nothing.
	Upload Upload

	// upMu guards upURL, the upload's URL as the VM sees it, set by
	// PrepareProject for the build's run of the script.
	upMu  sync.Mutex
	upURL string
}

var _ machine.Machine = (*Machine)(nil)

// DefaultGuestScriptDir is the build script's home inside the VM.
const DefaultGuestScriptDir = "/home/ubuntu/.cache/nixpass"

// Describe implements Machine.
func (v *Machine) Describe() string { return fmt.Sprintf("the builder VM %q", v.Name) }

func (v *Machine) scriptPath() string {
	dir := v.GuestScriptDir
	if dir == "" {
		dir = DefaultGuestScriptDir
	}
	return path.Join(dir, script.FileName())
}

// unavailable wraps a Multipass error into a classified one with the
// driver's remedy.
func (v *Machine) unavailable(what string, err error) error {
	hint := multipass.Hint(err)
	if hint == "" {
		hint = "check Multipass: " + shq.Join("multipass", "info", v.Name)
	}
	return &builder.Error{Kind: builder.KindUnavailable, Message: what + ": " + err.Error(), Hint: hint, Err: err}
}

// Prepare implements Machine: create or start the VM as needed, mount the
// project folder, install the script and check Nix.
func (v *Machine) Prepare(ctx context.Context, dir string, progress func(string)) (string, error) {
	if progress == nil {
		progress = func(string) {}
	}
	inst, err := v.running(ctx, progress)
	if err != nil {
		return "", err
	}
	guest, err := v.mount(ctx, inst, dir, progress)
	if err != nil {
		return "", err
	}
	if err := v.ensureScript(ctx, progress); err != nil {
		return "", err
	}
	return guest, nil
}

// running returns the instance once it is Running, creating or starting
// it as its state requires.
func (v *Machine) running(ctx context.Context, progress func(string)) (*multipass.Instance, error) {
	deadline := time.Now().Add(3 * time.Minute)
	for {
		inst, err := v.Client.Info(ctx, v.Name)
		switch {
		case errors.Is(err, multipass.ErrInstanceMissing) && v.AutoCreate:
			progress(fmt.Sprintf("creating the builder VM %q (first use; installing Nix takes a few minutes)", v.Name))
			if err := v.launch(ctx, progress); err != nil {
				return nil, err
			}
			// Launched is running, past its first boot, with nothing
			// mounted: no second info. The caller's first script exec
			// installs the script and checks Nix.
			return &multipass.Instance{Name: v.Name, State: multipass.StateRunning}, nil
		case errors.Is(err, multipass.ErrInstanceMissing):
			return nil, &builder.Error{Kind: builder.KindUnavailable, Err: err, Message: fmt.Sprintf("the builder VM %q does not exist", v.Name),
				Hint: "create it with: nixpass vm create"}
		case err != nil:
			return nil, v.unavailable("builder VM "+strconv.Quote(v.Name), err)
		}
		switch inst.State {
		case multipass.StateRunning:
			return inst, nil
		case multipass.StateStopped, multipass.StateSuspended:
			progress(fmt.Sprintf("starting the builder VM %q (%s)", v.Name, inst.State))
			if err := v.Client.Start(ctx, v.Name); err != nil {
				return nil, &builder.Error{Kind: builder.KindUnavailable, Err: err,
					Message: fmt.Sprintf("the builder VM %q is %s and could not be started: %v", v.Name, strings.ToLower(string(inst.State)), err),
					Hint:    "try: " + shq.Join("multipass", "start", v.Name) + "; if it keeps failing, recreate it: nixpass vm delete --yes && nixpass vm create"}
			}
			// start returns once the instance runs; its mounts are those
			// info listed while it was stopped. No second info.
			inst.State = multipass.StateRunning
			return inst, nil
		case multipass.StateDeleted:
			return nil, &builder.Error{Kind: builder.KindUnavailable, Message: fmt.Sprintf("the builder VM %q was deleted", v.Name),
				Hint: "bring it back with: " + shq.Join("multipass", "recover", v.Name) + " — or drop it (multipass purge) and run: nixpass vm create"}
		case multipass.StateUnknown, multipass.StateUnavailable:
			return nil, &builder.Error{Kind: builder.KindUnavailable, Message: fmt.Sprintf("the builder VM %q is in state %s", v.Name, inst.State),
				Hint: "restart it with: " + shq.Join("multipass", "restart", v.Name) + " (or restart Multipass)"}
		}
		// Starting, Restarting, Suspending, Delayed Shutdown: wait it out.
		if time.Now().After(deadline) {
			return nil, &builder.Error{Kind: builder.KindUnavailable, Message: fmt.Sprintf("the builder VM %q stayed %s for 3 minutes", v.Name, inst.State),
				Hint: "check it with: " + shq.Join("multipass", "info", v.Name)}
		}
		progress(fmt.Sprintf("waiting for the builder VM %q (%s)", v.Name, inst.State))
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
}

// ensureScript checks Nix with the build script's check verb, installing
// the script in the same exec when this version of it is not in the VM
// yet: one exec, none of them known to fail.
func (v *Machine) ensureScript(ctx context.Context, progress func(string)) error {
	check := func() error {
		_, err := v.Client.Exec(ctx, v.Name, multipass.ExecOptions{Args: v.scriptArgs("check"), Stdin: bytes.NewReader(script.Body())})
		return v.readable(err, "check")
	}
	err := check()
	var xe *runner.ExitError
	if errors.As(err, &xe) && xe.Code == exitInstallFailed {
		return v.installFailed(err, xe.Stderr)
	}
	if errors.As(err, &xe) && xe.Code == script.ExitNixMissing {
		// A VM whose first boot is still installing Nix (a launch that
		// timed out, a build started meanwhile) is not broken: wait for
		// cloud-init before saying Nix is missing.
		progress("waiting for the builder VM's first-boot setup to finish (cloud-init installs Nix; this takes a few minutes)")
		_, _ = v.Client.Exec(ctx, v.Name, multipass.ExecOptions{Args: []string{"cloud-init", "status", "--wait"}})
		err = check()
	}
	switch {
	case err == nil:
		return nil
	case errors.As(err, &xe) && xe.Code == script.ExitNixMissing:
		return &builder.Error{Kind: builder.KindUnavailable, Err: err, Message: fmt.Sprintf("Nix is not installed in the builder VM %q", v.Name),
			Hint: v.NixHint()}
	}
	if be := machine.SetupProblem(ctx, err, v); be != nil {
		return be
	}
	return v.unavailable("run the build script in the builder VM", err)
}

var _ machine.NixAdvisor = (*Machine)(nil)

// NixHint implements machine.NixAdvisor: a VM without Nix is one whose
// first boot failed to install it. A build, which checks Nix itself
// (a VM it just launched included), gives this hint too.
func (v *Machine) NixHint() string {
	return "its first-boot setup may have failed: see " + shq.Join("multipass", "exec", v.Name, "--", "tail", "-n", "50", "/var/log/cloud-init-output.log") +
		"; recreate it with: nixpass vm delete --yes && nixpass vm create"
}

// RunScript implements Machine. Killing the local `multipass exec` does
// not stop the remote command, so cancellation runs the script's own
// cancel verb inside the VM, which signals the build's process group, and
// only then lets the local client go.
func (v *Machine) RunScript(ctx context.Context, token string, args []string, stdout, stderr io.Writer) (int, error) {
	execCtx, stopExec := context.WithCancel(context.WithoutCancel(ctx))
	defer stopExec()
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-done:
			return
		case <-ctx.Done():
		}
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_, _ = v.Client.Exec(cctx, v.Name, multipass.ExecOptions{Args: []string{"sh", v.scriptPath(), "cancel", "--token", token}})
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			stopExec()
		}
	}()
	// The build verb checks Nix itself, and the exec installs the script
	// when this version of it is not in the VM yet (install.go): a build
	// is one exec whatever the VM held. The lifeline is the session's
	// standard input after the script's body: when nixpass dies, or the
	// multipass client does, the script inside the VM reads end of file
	// and stops its build.
	// An upload's secret follows the script's body, ahead of the
	// lifeline: never on a command line, never in a file on this host.
	header, err := v.uploadHeader(token, args)
	if err != nil {
		return -1, err
	}
	out := &saidWriter{w: stdout}
	life, err := machine.NewLifeline()
	if err != nil {
		return -1, err
	}
	fed := feedScript(life.W, header)
	res, err := v.Client.Exec(execCtx, v.Name, multipass.ExecOptions{
		Args:   v.scriptArgs(machine.WithLifeline(args)...),
		Stdin:  life.R,
		Stdout: out,
		Stderr: stderr,
	})
	life.Close()
	<-fed
	var xe *runner.ExitError
	if errors.As(err, &xe) && xe.Code == exitInstallFailed && !out.said {
		return -1, v.installFailed(err, xe.Stderr)
	}
	if errors.Is(err, multipass.ErrExecFailed) {
		return -1, &builder.Error{Kind: builder.KindUnavailable, Err: err,
			Message: fmt.Sprintf("lost the connection to the builder VM %q during the build: %v", v.Name, err),
			Hint:    "check the VM with: nixpass vm status; if it crashed (often: out of memory), give it more memory: nixpass vm resize --memory " + nextMemory(v.Spec.Memory)}
	}
	if err != nil && !errors.As(err, new(*runner.ExitError)) {
		return -1, v.unavailable("run the build in the builder VM", err)
	}
	return machine.ScriptExit(res, err)
}

// roundGiB, nextMemory and nextDisk are the diagnosis table's, so the
// hints of a build and of the VM's own errors suggest the same sizes.
var (
	roundGiB   = diagnose.RoundGiB
	nextMemory = diagnose.NextMemory
	nextDisk   = diagnose.NextDisk
)
