package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"nixpass/builder/multipass"
	"nixpass/builder/runner"
	"nixpass/builder/vmbuilder"
)

// vmBuilder prints the Nix machines line for the VM (`nixpass vm
// builder`): stdout holds only the line, for
// nix build --builders "$(nixpass vm builder)".
func (c *cli) vmBuilder(ctx context.Context, client *multipass.Client, name string) int {
	home, err := os.UserHomeDir()
	if err != nil {
		return c.fail(fmt.Errorf("vm builder: %w", err))
	}
	b := vmbuilder.Builder{VM: client, Name: name, Dir: filepath.Join(home, ".ssh", "nixpass")}
	m, err := b.Prepare(ctx)
	if err == nil {
		err = m.Check(ctx, runner.Exec{}, b.User)
	}
	if err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(c.stderr, "the VM %q answers as a Nix remote builder. Add this line at the top of ~/.ssh/config once, so the alias %s follows the VM's address:\n    %s\n"+
		"Trusting this builder: its user (ubuntu) is one of the VM's Nix trusted-users, so anyone holding %s can act as root in the VM's Nix store.\n"+
		"For every build, add the line below to builders in /etc/nix/nix.conf (or ~/.config/nix/nix.conf as a trusted user).\n",
		name, vmbuilder.Alias, m.Include, m.Key)
	fmt.Fprintln(c.stdout, m.Line)
	return 0
}
