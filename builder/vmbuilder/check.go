package vmbuilder

import (
	"context"
	"errors"
	"fmt"

	"nixpass/builder/runner"
)

// Check proves the line works before the user relies on it: with Nix
// here, `nix store ping` over ssh-ng (the remote nix-daemon answers);
// without it, ssh itself logs in and runs true. It uses nixpass's ssh
// config explicitly, so it works before the Include line is added.
func (m *Machine) Check(ctx context.Context, r runner.Runner, user string) error {
	if user == "" {
		user = "ubuntu"
	}
	env := []string{"NIX_SSHOPTS=-F " + m.SSHConfig}
	_, err := r.Run(ctx, runner.Cmd{Name: "nix", Env: env, Args: []string{"--extra-experimental-features", "nix-command",
		"store", "ping", "--store", "ssh-ng://" + user + "@" + Alias}})
	if errors.Is(err, runner.ErrNotFound) {
		_, err = r.Run(ctx, runner.Cmd{Name: "ssh", Args: []string{"-F", m.SSHConfig, "-o", "BatchMode=yes", user + "@" + Alias, "true"}})
	}
	if err != nil {
		return fmt.Errorf("vm builder: the VM does not answer as a builder: %w", err)
	}
	return nil
}
