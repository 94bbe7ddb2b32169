package local

import (
	"bytes"
	"context"

	"nixpass/builder"
	"nixpass/builder/machine"
	"nixpass/builder/runner"
)

var _ machine.Deriver = (*Machine)(nil)

// Derivation implements machine.Deriver with the script's read-only drv
// verb, run directly (argv, no shell, no lifeline, no lock) with the
// settings a build passes, so the evaluation sees what the build's does.
func (l *Machine) Derivation(ctx context.Context, p builder.Project) (string, bool) {
	if installScript(l.scriptPath()) != nil {
		return "", false
	}
	var stdout bytes.Buffer
	_, err := l.runner().Run(ctx, runner.Cmd{Name: "sh", Args: append([]string{l.scriptPath()}, machine.DerivationArgs(p, p.Dir)...),
		Env: machine.NixConfigEnv(l.NixOptions()), Stdout: &stdout, Stderr: &bytes.Buffer{}})
	if err != nil {
		return "", false
	}
	d := machine.DerivationSaid(stdout.String())
	return d, d != ""
}
