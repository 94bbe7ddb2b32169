package vm

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"nixpass/builder"
	"nixpass/builder/machine"
	"nixpass/builder/multipass"
)

// Create launches the builder VM with its configured size and a
// cloud-init that installs Nix, then checks that Nix answers (one exec,
// which also installs the build script). It fails with a clear error
// when the VM already exists.
func (v *Machine) Create(ctx context.Context, progress func(string)) error {
	if progress == nil {
		progress = func(string) {}
	}
	if err := v.launch(ctx, progress); err != nil {
		return err
	}
	if err := v.ensureScript(ctx, progress); err != nil {
		return err
	}
	progress("the builder VM is ready")
	return nil
}

// launch creates the VM and writes [builder]'s remote builders and
// caches into it when there are any. Multipass's launch returns once the
// first boot's cloud-init is over (it waits for boot-finished, bounded by
// --timeout), so Nix is there or its installation failed: nothing to
// wait for here. The script is not installed: the first exec that runs
// it does that (install.go).
func (v *Machine) launch(ctx context.Context, progress func(string)) error {
	ci, err := CloudInit(v.Spec)
	if err != nil {
		return fmt.Errorf("create builder VM: %w", err)
	}
	ciFile, err := hostTempFile("nixpass-cloud-init-*.yaml", ci)
	if err != nil {
		return fmt.Errorf("create builder VM: %w", err)
	}
	defer os.Remove(ciFile)
	timeout := v.LaunchTimeout
	if timeout == 0 {
		timeout = 20 * time.Minute
	}
	progress(fmt.Sprintf("launching %q: %d CPUs, %s memory, %s disk, Ubuntu %s", v.Name, v.Spec.CPUs, builder.HumanGiB(v.Spec.Memory), builder.HumanGiB(v.Spec.Disk), v.Spec.Image))
	pw := &machine.LineWriter{Fn: func(l string) {
		if l != "" {
			progress(l)
		}
	}}
	err = v.Client.Launch(ctx, multipass.LaunchOptions{
		Name: v.Name, Image: v.Spec.Image, CPUs: v.Spec.CPUs,
		Memory: sizeArg(v.Spec.Memory), Disk: sizeArg(v.Spec.Disk),
		CloudInit: ciFile, Timeout: timeout, Stdout: pw, Stderr: pw,
	})
	pw.Flush()
	if err != nil {
		if errors.Is(err, multipass.ErrAlreadyExists) {
			return &builder.Error{Kind: builder.KindUnavailable, Err: err, Message: fmt.Sprintf("the builder VM %q already exists", v.Name),
				Hint: "use it as it is (nixpass vm start), or delete it first: nixpass vm delete --yes"}
		}
		return v.unavailable("launch the builder VM", err)
	}
	if !v.Remote.Empty() || v.NetrcFile != "" || len(v.Cache) > 0 || v.MinFree > 0 || v.Upload.sshUpload() {
		if err := v.setupRemoteBuilders(ctx, progress); err != nil {
			return err
		}
	}
	return nil
}

// sizeArg renders bytes in Multipass's size syntax.
func sizeArg(n int64) string {
	switch {
	case n <= 0:
		return ""
	case n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + "G"
	case n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + "M"
	}
	return strconv.FormatInt(n, 10)
}

// Start starts the VM (creating it when AutoCreate is set and it is
// missing) and checks that it can build.
func (v *Machine) Start(ctx context.Context, progress func(string)) error {
	if progress == nil {
		progress = func(string) {}
	}
	if _, err := v.running(ctx, progress); err != nil {
		return err
	}
	return v.ensureScript(ctx, progress)
}

// Stop stops the VM; stopping a stopped VM is not an error.
func (v *Machine) Stop(ctx context.Context) error {
	if err := v.Client.Stop(ctx, v.Name, false); err != nil {
		return v.unavailable("stop the builder VM", err)
	}
	return nil
}

// Delete deletes and purges the VM, with everything in its Nix store.
func (v *Machine) Delete(ctx context.Context) error {
	if err := v.Client.Delete(ctx, v.Name, true); err != nil {
		if errors.Is(err, multipass.ErrInstanceMissing) {
			return &builder.Error{Kind: builder.KindUnavailable, Err: err, Message: fmt.Sprintf("the builder VM %q does not exist", v.Name), Hint: "nothing to delete"}
		}
		return v.unavailable("delete the builder VM", err)
	}
	return nil
}

// Resize changes the VM's CPUs, memory or disk (zero leaves a value as it
// is). Multipass only changes a stopped VM, so a running one is stopped
// and started again; a disk can only grow.
func (v *Machine) Resize(ctx context.Context, cpus int, memory, disk int64, progress func(string)) error {
	if progress == nil {
		progress = func(string) {}
	}
	inst, err := v.Client.Info(ctx, v.Name)
	if errors.Is(err, multipass.ErrInstanceMissing) {
		return &builder.Error{Kind: builder.KindUnavailable, Err: err, Message: fmt.Sprintf("the builder VM %q does not exist", v.Name),
			Hint: "create it with the size you want: nixpass vm create --cpus N --memory SIZE --disk SIZE"}
	}
	if err != nil {
		return v.unavailable("resize the builder VM", err)
	}
	if disk > 0 && inst.DiskTotal() > 0 && disk < inst.DiskTotal() {
		return &builder.Error{Kind: builder.KindConfig, Message: fmt.Sprintf("the disk can only grow: it has %s, asked for %s", builder.HumanGiB(roundGiB(inst.DiskTotal())), builder.HumanGiB(disk)),
			Hint: "ask for a larger size, or recreate the VM: nixpass vm delete --yes && nixpass vm create --disk " + sizeArg(disk)}
	}
	wasRunning := inst.State == multipass.StateRunning
	if wasRunning {
		progress(fmt.Sprintf("stopping %q to resize it", v.Name))
		if err := v.Stop(ctx); err != nil {
			return err
		}
	}
	set := func(key, val string) error {
		if err := v.Client.Set(ctx, "local."+v.Name+"."+key, val); err != nil {
			return v.unavailable("set "+key+" of the builder VM", err)
		}
		progress(fmt.Sprintf("%s set to %s", key, val))
		return nil
	}
	if cpus > 0 {
		if err := set("cpus", strconv.Itoa(cpus)); err != nil {
			return err
		}
	}
	if memory > 0 {
		if err := set("memory", sizeArg(memory)); err != nil {
			return err
		}
	}
	if disk > 0 {
		if err := set("disk", sizeArg(disk)); err != nil {
			return err
		}
	}
	if wasRunning {
		progress(fmt.Sprintf("starting %q again", v.Name))
		if err := v.Client.Start(ctx, v.Name); err != nil {
			return v.unavailable("start the builder VM", err)
		}
	}
	return nil
}
