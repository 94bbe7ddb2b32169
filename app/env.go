package main

import (
	"fmt"
	"os"
	"path/filepath"

	"nixpass/builder"
	"nixpass/builder/config"
	"nixpass/builder/multipass"
)

// env is what a verb works with: the loaded config and the core wired to
// it.
type env struct {
	path     string
	cfg      *config.Config
	store    *builder.Store
	machine  builder.Machine
	vm       *builder.VM // nil with the local backend
	stateDir string
}

func (c *cli) cfgPath() string {
	if c.configPath != "" {
		return c.configPath
	}
	return config.Path()
}

// load reads the config and wires the core. Config errors are usage
// errors: they name the file, line and key.
func (c *cli) load() (*env, error) {
	path := c.cfgPath()
	cfg, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	state, err := config.StateDir()
	if err != nil {
		return nil, fmt.Errorf("find state folder: %w", err)
	}
	logs, err := config.LogDir()
	if err != nil {
		return nil, fmt.Errorf("find log folder: %w", err)
	}
	e := &env{path: path, cfg: cfg, store: &builder.Store{StateDir: state, LogDir: logs}, stateDir: state}
	switch cfg.Builder.Backend {
	case "local":
		e.machine = &builder.Local{ScriptDir: filepath.Join(state, "bin")}
	default:
		e.vm = &builder.VM{
			Client: &multipass.Client{Bin: cfg.Builder.Multipass},
			Name:   cfg.VM.Name,
			Spec: builder.VMSpec{CPUs: cfg.VM.CPUs, Memory: cfg.VM.Memory.Bytes(), Disk: cfg.VM.Disk.Bytes(),
				Swap: cfg.VM.Swap.Bytes(), Image: cfg.VM.Image},
			AutoCreate:     cfg.VM.AutoCreate,
			GuestScriptDir: os.Getenv("NIXPASS_GUEST_SCRIPT_DIR"),
		}
		e.machine = e.vm
	}
	return e, nil
}

// builder returns a Builder for the configured machine.
func (e *env) builder(emit func(builder.Event)) *builder.Builder {
	return &builder.Builder{
		Machine:  e.machine,
		Store:    e.store,
		LockPath: filepath.Join(e.stateDir, "locks", e.cfg.Builder.Backend+"-"+e.cfg.VM.Name+".lock"),
		Timeout:  e.cfg.Builder.Timeout.D(),
		Emit:     emit,
	}
}

// request turns a registered (or default) project into a build request.
func request(p config.Project) builder.Project {
	p = p.WithDefaults()
	return builder.Project{Dir: p.Path, File: p.File, Flake: p.Flake, Attr: p.Attr, Args: p.Args, Output: p.Output, DockerLoad: p.DockerLoad}
}

// absDir resolves a DIR argument ("" means the current folder).
func absDir(dir string) (string, error) {
	if dir == "" {
		dir = "."
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", dir, err)
	}
	return abs, nil
}
