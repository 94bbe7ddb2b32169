package vm

import (
	"context"
	"errors"
	"fmt"

	"nixpass/builder"
	"nixpass/builder/diagnose"
	"nixpass/builder/machine"
	"nixpass/builder/multipass"
	"nixpass/builder/shq"
)

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

// MemoryBytes is the VM's configured memory, which each build attempt
// records (no Multipass call).
func (v *Machine) MemoryBytes() int64 { return v.Spec.Memory }

// DiskHint implements machine.DiskAdvisor.
func (v *Machine) DiskHint(ctx context.Context) string {
	return fmt.Sprintf("collect garbage in the VM: %s — or grow its disk: %s (disks can only grow)",
		shq.Join("multipass", "exec", v.Name, "--", "nix-collect-garbage", "-d"), shq.Join("nixpass", "vm", "resize", "--disk", nextDisk(v.Spec.Disk)))
}
