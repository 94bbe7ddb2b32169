package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"nixpass/builder/agent"
	"nixpass/builder/config"
	"nixpass/builder/tools"
)

// loginAgent describes the agent that starts this very binary at login
// with the config in use.
func (c *cli) loginAgent() (*agent.Manager, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find the nixpass binary: %w", err)
	}
	if real, err := filepath.EvalSymlinks(exe); err == nil {
		exe = real
	}
	var args []string
	if c.configPath != "" {
		abs, err := filepath.Abs(c.configPath)
		if err != nil {
			return nil, err
		}
		args = append(args, "--config", abs)
	}
	logs, err := config.LogDir()
	if err != nil {
		return nil, err
	}
	return agent.New(agent.Spec{Executable: exe, Args: append(args, "app"), LogDir: logs, PATH: tools.Default().PATH()})
}

func cmdService(c *cli, ctx context.Context, args []string) int {
	fs := c.flags("service")
	pos, code, ok := c.parseArgs(fs, args, 1, 1)
	if !ok {
		return code
	}
	m, err := c.loginAgent()
	if err != nil {
		return c.fail(err)
	}
	switch pos[0] {
	case "install":
		if err := m.Install(); err != nil {
			return c.fail(err)
		}
		fmt.Fprintf(c.stdout, "nixpass starts at login (%s)\n", m.Path())
	case "uninstall":
		if err := m.Uninstall(); err != nil {
			return c.fail(err)
		}
		fmt.Fprintln(c.stdout, "nixpass no longer starts at login")
	case "status":
		st, err := m.Status()
		if err != nil {
			return c.fail(err)
		}
		fmt.Fprintf(c.stdout, "installed: %v\nloaded: %v\nrunning: %v\ndisabled: %v\nstarts at login: %v\nfile: %s\n",
			st.Installed, st.Loaded, st.Running, st.Disabled, st.Enabled, st.Path)
	default:
		return c.usageError(fs, fmt.Sprintf("unknown action %q", pos[0]))
	}
	return 0
}
