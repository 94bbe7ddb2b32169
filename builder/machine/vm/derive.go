package vm

import (
	"bytes"
	"context"

	"nixpass/builder"
	"nixpass/builder/machine"
	"nixpass/builder/multipass"
)

var _ machine.Deriver = (*Machine)(nil)

// Derivation implements machine.Deriver inside the VM: one `multipass
// info` for the project's mount and one exec of the script's read-only
// drv verb. It asks only when a build of p runs (so the VM runs and p is
// mounted), and starts, mounts or installs nothing: without them it says
// not ok, and the caller builds by itself.
func (v *Machine) Derivation(ctx context.Context, p builder.Project) (string, bool) {
	inst, err := v.Client.Info(ctx, v.Name)
	if err != nil || inst.State != multipass.StateRunning {
		return "", false
	}
	guest, ok := inst.MountFor(p.Dir)
	if !ok {
		return "", false
	}
	var stdout bytes.Buffer
	_, err = v.Client.Exec(ctx, v.Name, multipass.ExecOptions{
		Args:   append([]string{"sh", v.scriptPath()}, machine.DerivationArgs(p, guest)...),
		Stdout: &stdout,
		Stderr: &bytes.Buffer{},
	})
	if err != nil {
		return "", false
	}
	d := machine.DerivationSaid(stdout.String())
	return d, d != ""
}
