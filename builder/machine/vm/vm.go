package vm

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/template"
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
	// (vmremote.go).
	Remote machine.Remote
	// GuestNixDir is the VM's Nix configuration folder; "" means
	// DefaultGuestNixDir. Tests point it at a host folder.
	GuestNixDir string
	// KnownHosts pins builders' host keys for machine lines without one;
	// "" means ~/.ssh/known_hosts.
	KnownHosts string
	// Runner runs host commands (ssh-keygen); nil means runner.Exec.
	Runner runner.Runner
}

var _ machine.Machine = (*Machine)(nil)

// DefaultGuestScriptDir is the build script's home inside the VM.
const DefaultGuestScriptDir = "/home/ubuntu/.cache/nixpass"

//go:embed cloud-init.yaml
var cloudInitTemplate string

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
			if err := v.Create(ctx, progress); err != nil {
				return nil, err
			}
			continue
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

// systemGuest are guest folders whose contents must never be shadowed by
// a mount, not even in a subfolder.
var systemGuest = []string{"/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/nix", "/proc", "/root", "/run", "/sbin", "/snap", "/sys", "/usr", "/var"}

// sharedGuest are guest folders a project may live below but must not
// replace.
var sharedGuest = []string{"/", "/home", "/home/ubuntu", "/tmp", "/mnt", "/media", "/opt", "/srv"}

// MountTarget is where dir appears inside the VM: the same path as on the
// host, so Nix error positions point at the user's own files, unless that
// path would shadow part of the guest system or cannot be written in a
// mount spec ("NAME:TARGET").
func MountTarget(dir string) string {
	clean := filepath.ToSlash(filepath.Clean(dir))
	ok := strings.HasPrefix(clean, "/") && !strings.ContainsAny(clean, "\n\r:")
	for _, r := range systemGuest {
		if clean == r || strings.HasPrefix(clean, r+"/") || strings.HasPrefix(r, clean+"/") {
			ok = false
		}
	}
	if slices.Contains(sharedGuest, clean) || strings.HasPrefix(DefaultGuestScriptDir, clean+"/") {
		ok = false
	}
	if ok {
		return clean
	}
	return path.Join("/home/ubuntu/nixpass-mounts", builder.SafeName(filepath.Base(dir))+"-"+builder.ProjectKey(dir)[:8])
}

func (v *Machine) mount(ctx context.Context, inst *multipass.Instance, dir string, progress func(string)) (string, error) {
	if guest, ok := inst.MountFor(dir); ok {
		return guest, nil
	}
	target := MountTarget(dir)
	progress(fmt.Sprintf("mounting %s in the builder VM at %s", dir, target))
	if err := v.Client.Mount(ctx, dir, v.Name, target); err != nil {
		// Another nixpass may have mounted it meanwhile.
		if again, ierr := v.Client.Info(ctx, v.Name); ierr == nil {
			if guest, ok := again.MountFor(dir); ok {
				return guest, nil
			}
		}
		return "", &builder.Error{Kind: builder.KindUnavailable, Err: err,
			Message: fmt.Sprintf("mount %s in the builder VM: %v", dir, err),
			Hint:    multipass.MountReadHint}
	}
	return target, nil
}

// ensureScript checks Nix with the installed script, installing the
// script first when this version of it is not in the VM yet.
func (v *Machine) ensureScript(ctx context.Context, progress func(string)) error {
	check := func() error {
		_, err := v.Client.Exec(ctx, v.Name, multipass.ExecOptions{Args: []string{"sh", v.scriptPath(), "check"}})
		return err
	}
	err := check()
	var xe *runner.ExitError
	if errors.As(err, &xe) && xe.Code == 127 || errors.As(err, &xe) && xe.Code == 2 {
		progress("installing the build script in the builder VM")
		if err := v.installScript(ctx); err != nil {
			return err
		}
		err = check()
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
			Hint: "its first-boot setup may have failed: see " + shq.Join("multipass", "exec", v.Name, "--", "tail", "-n", "50", "/var/log/cloud-init-output.log") + "; recreate it with: nixpass vm delete --yes && nixpass vm create"}
	}
	if be := machine.SetupProblem(ctx, err, v); be != nil {
		return be
	}
	return v.unavailable("run the build script in the builder VM", err)
}

func (v *Machine) installScript(ctx context.Context) error {
	tmp, err := hostTempFile("nixpass-build-*.sh", script.Body())
	if err != nil {
		return fmt.Errorf("install build script: %w", err)
	}
	defer os.Remove(tmp)
	if _, err := v.Client.Exec(ctx, v.Name, multipass.ExecOptions{Args: []string{"mkdir", "-p", path.Dir(v.scriptPath())}}); err != nil {
		return v.unavailable("install the build script", err)
	}
	if err := v.Client.Transfer(ctx, tmp, v.Name+":"+v.scriptPath()); err != nil {
		return v.unavailable("install the build script", err)
	}
	return nil
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
	// The build verb checks Nix itself; only a missing script (a new
	// nixpass version, a new VM) costs the install and a second exec.
	// The lifeline is the session's standard input: when nixpass dies,
	// or the multipass client does, the script inside the VM reads end
	// of file and stops its build.
	out := &saidWriter{w: stdout}
	run := func() (*runner.Result, error) {
		life, err := machine.NewLifeline()
		if err != nil {
			return nil, err
		}
		defer life.Close()
		return v.Client.Exec(execCtx, v.Name, multipass.ExecOptions{
			Args:   append([]string{"sh", v.scriptPath()}, machine.WithLifeline(args)...),
			Stdin:  life.R,
			Stdout: out,
			Stderr: stderr,
		})
	}
	res, err := run()
	var xe *runner.ExitError
	if errors.As(err, &xe) && scriptMissing(xe.Code, out.said) && ctx.Err() == nil {
		if ierr := v.installScript(ctx); ierr != nil {
			return -1, ierr
		}
		res, err = run()
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

// Status implements Machine.
func (v *Machine) Status(ctx context.Context) builder.BuilderStatus {
	st := builder.BuilderStatus{Backend: "multipass", Name: v.Name}
	inst, err := v.Client.Info(ctx, v.Name)
	switch {
	case errors.Is(err, multipass.ErrInstanceMissing):
		st.State, st.Problem, st.Hint = builder.BuilderMissing, fmt.Sprintf("the builder VM %q does not exist", v.Name), "create it with: nixpass vm create"
		return st
	case err != nil:
		st.State, st.Problem, st.Hint = builder.BuilderUnavailable, err.Error(), multipass.Hint(err)
		return st
	}
	st.CPUs, st.Memory, st.Disk, st.DiskUsed, st.Release = inst.CPUs, inst.Memory.Total, inst.DiskTotal(), inst.DiskUsed(), inst.Release
	switch inst.State {
	case multipass.StateRunning:
		st.State = builder.BuilderRunning
		// A running VM whose Nix cannot use its store is not ready: the
		// script's check makes a real round trip (only when the script is
		// installed; Status changes nothing).
		_, err := v.Client.Exec(ctx, v.Name, multipass.ExecOptions{Args: []string{"sh", v.scriptPath(), "check"}})
		if be := machine.SetupProblem(ctx, err, v); be != nil {
			st.State, st.Problem, st.Hint = builder.BuilderUnavailable, be.Message, be.Hint
		}
	case multipass.StateStopped:
		st.State = builder.BuilderStopped
	case multipass.StateSuspended:
		st.State = builder.BuilderSuspended
	case multipass.StateStarting, multipass.StateRestarting:
		st.State = builder.BuilderStarting
	case multipass.StateDeleted:
		st.State, st.Problem, st.Hint = builder.BuilderDeleted, "the builder VM was deleted", shq.Join("multipass", "recover", v.Name)+", or multipass purge && nixpass vm create"
	default:
		st.State, st.Problem, st.Hint = builder.BuilderUnavailable, "the builder VM is "+string(inst.State), shq.Join("multipass", "restart", v.Name)
	}
	return st
}

// DiagnoseMachine implements machine.Describer: the VM's name and size,
// as Multipass reports it (the configured size when it cannot).
func (v *Machine) DiagnoseMachine(ctx context.Context) diagnose.Machine {
	m := diagnose.Machine{VM: v.Name, Memory: v.Spec.Memory, CPUs: v.Spec.CPUs, Disk: v.Spec.Disk}
	if v.Client == nil {
		return m
	}
	if inst, err := v.Client.Info(ctx, v.Name); err == nil {
		if inst.Memory.Total > 0 {
			m.Memory = inst.Memory.Total
		}
		if inst.CPUs > 0 {
			m.CPUs = inst.CPUs
		}
		if d := inst.DiskTotal(); d > 0 {
			m.Disk = d
		}
	}
	return m
}

// DiskHint implements machine.DiskAdvisor.
func (v *Machine) DiskHint(ctx context.Context) string {
	return fmt.Sprintf("collect garbage in the VM: %s — or grow its disk: %s (disks can only grow)",
		shq.Join("multipass", "exec", v.Name, "--", "nix-collect-garbage", "-d"), shq.Join("nixpass", "vm", "resize", "--disk", nextDisk(v.Spec.Disk)))
}

// roundGiB, nextMemory and nextDisk are the diagnosis table's, so the
// hints of a build and of the VM's own errors suggest the same sizes.
var (
	roundGiB   = diagnose.RoundGiB
	nextMemory = diagnose.NextMemory
	nextDisk   = diagnose.NextDisk
)

type cloudInitData struct {
	SwapBytes      int64
	MaxJobs, Cores int
	// ScriptB64 is the build script, base64, for first-boot setup steps.
	ScriptB64 string
}

// CloudInit renders the first-boot configuration for spec.
func CloudInit(spec Spec) ([]byte, error) {
	cpus := spec.CPUs
	if cpus < 1 {
		cpus = 1
	}
	// Memory, not CPU, is what kills builds in a small VM: one job per
	// 4 GiB, each allowed to use every core.
	jobs := int(spec.Memory / (4 << 30))
	if jobs < 1 {
		jobs = 1
	}
	if jobs > cpus {
		jobs = cpus
	}
	t, err := template.New("cloud-init").Parse(cloudInitTemplate)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, cloudInitData{SwapBytes: spec.Swap, MaxJobs: jobs, Cores: cpus,
		ScriptB64: base64.StdEncoding.EncodeToString(script.Body())}); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
