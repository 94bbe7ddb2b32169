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
	s, err := c.agentSpec()
	if err != nil {
		return nil, err
	}
	return agent.New(s)
}

// agentSpec is what the agent runs: it depends on the binary and the
// config in use only, never on the caller's environment (PATH is the
// install folders'), so the same binary and config give the same file
// from the app and from any shell, and installing again reloads nothing.
func (c *cli) agentSpec() (agent.Spec, error) {
	exe, err := os.Executable()
	if err != nil {
		return agent.Spec{}, fmt.Errorf("find the nixpass binary: %w", err)
	}
	if real, err := filepath.EvalSymlinks(exe); err == nil {
		exe = real
	}
	var args []string
	if c.configPath != "" {
		abs, err := filepath.Abs(c.configPath)
		if err != nil {
			return agent.Spec{}, err
		}
		args = append(args, "--config", abs)
	}
	logs, err := config.LogDir()
	if err != nil {
		return agent.Spec{}, err
	}
	home, _ := os.UserHomeDir()
	return agent.Spec{Executable: exe, Args: append(args, "app"), LogDir: logs, PATH: tools.InstallPATH(home)}, nil
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
		rep, err := m.Apply()
		if err != nil {
			return c.fail(err)
		}
		fmt.Fprintln(c.stdout, rep.InstallMessage(m.Path()))
	case "uninstall":
		rep, err := m.Remove()
		if err != nil {
			return c.fail(err)
		}
		fmt.Fprintln(c.stdout, rep.UninstallMessage())
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
