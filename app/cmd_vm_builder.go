package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"nixpass/builder/multipass"
	"nixpass/builder/runner"
	"nixpass/builder/vmbuilder"
	"nixpass/builder/vmusers"
)

// vmBuilder prints the Nix machines line for the VM (`nixpass vm
// builder`): stdout holds only the line, for
// nix build --builders "$(nixpass vm builder)". The ssh config it writes
// runs every session through `nixpass vm proxy`, which keeps the session
// on the VM users' record in users (a folder).
func (c *cli) vmBuilder(ctx context.Context, client *multipass.Client, name, users string) int {
	home, err := os.UserHomeDir()
	if err != nil {
		return c.fail(fmt.Errorf("vm builder: %w", err))
	}
	self, err := os.Executable()
	if err != nil {
		return c.fail(fmt.Errorf("vm builder: find nixpass itself for the session proxy: %w", err))
	}
	// Made here, as this user: a proxy run by root's nix-daemon would
	// make it root's.
	if err := os.MkdirAll(users, 0o700); err != nil {
		return c.fail(fmt.Errorf("vm builder: %w", err))
	}
	b := vmbuilder.Builder{VM: client, Name: name, Dir: filepath.Join(home, ".ssh", "nixpass"),
		Proxy: []string{self, "vm", "proxy", "--users", users}}
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

// vmProxy is `nixpass vm proxy --users DIR HOST PORT`, the ProxyCommand
// of the ssh config vm builder writes: it relays one ssh connection to
// the VM and keeps "the vm builder session" on the VM users' record in
// DIR while it lasts (vmbuilder.Proxy). ssh ends it with SIGHUP.
func (c *cli) vmProxy(ctx context.Context, args []string) int {
	fs := c.flags("vm proxy")
	users := fs.String("users", "", "the VM users' record (a folder)")
	pos, err := parse(fs, args)
	if err != nil || len(pos) != 2 || *users == "" {
		return c.usageError(fs, "usage: nixpass vm proxy --users DIR HOST PORT (the ssh config of vm builder runs it)")
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGHUP)
	defer stop()
	rec := &vmusers.Record{Dir: *users, Warn: func(err error) {
		fmt.Fprintf(c.stderr, "nixpass vm proxy: warning: %v: stopping the VM will not wait for this session\n", err)
	}}
	err = vmbuilder.Proxy(ctx, rec, net.JoinHostPort(pos[0], pos[1]), c.stdin, c.stdout)
	if err != nil && ctx.Err() == nil {
		return c.fail(err)
	}
	return 0
}
