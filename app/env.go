package main

import (
	"fmt"

	"nixpass/app/cliout"
	"nixpass/builder/config"
	"nixpass/builder/core"
)

func (c *cli) cfgPath() string {
	if c.configPath != "" {
		return c.configPath
	}
	return config.Path()
}

// load reads the config and wires the core. Config errors are usage
// errors: they name the file, line and key. What loading found for the
// user (config warnings, folders made private) goes to stderr.
func (c *cli) load() (*core.Env, error) {
	e, err := core.Load(c.cfgPath())
	if err != nil {
		return nil, err
	}
	e.Version = cliout.Version()
	for _, n := range e.Notices {
		fmt.Fprintln(c.stderr, "nixpass: "+n)
	}
	return e, nil
}

// absDir resolves a DIR argument ("" means the current folder).
func absDir(dir string) (string, error) {
	if dir == "" {
		dir = "."
	}
	// One spelling per folder: symlinks resolved, and on macOS the real
	// case, so the same project is never registered or mounted twice.
	return config.Canonical(dir)
}
