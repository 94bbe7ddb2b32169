// Package core wires the builder, the scheduler and the watcher to a
// configuration: what the CLI, the headless app and the tray all run.
//
// It is the only package that names a concrete machine (machine/local,
// machine/vm) and reads config; it may import any builder/ package, and
// only app imports it.
package core

import (
	"fmt"
	"os"

	"nixpass/builder"
	"nixpass/builder/build"
	"nixpass/builder/config"
	"nixpass/builder/core/fast"
	"nixpass/builder/machine"
	"nixpass/builder/machine/vm"
	"nixpass/builder/multipass"
	"nixpass/builder/store"
)

// Env is a loaded configuration with the core parts built from it.
type Env struct {
	// Path is the config file.
	Path     string
	Config   *config.Config
	Store    *store.Store
	Machine  machine.Machine
	StateDir string
	// VM is the Multipass machine, nil with the local backend.
	VM *vm.Machine
	// Notices are what loading found for the user's log: config warnings
	// (config.Config.Warnings) and the folders and files it made private
	// (config.Tighten).
	Notices []string
	// Version is nixpass's version (set by app), part of the push's
	// compressed-layer cache key.
	Version string
}

// Load reads the config at path and wires the core to it.
func Load(path string) (*Env, error) {
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
	remote, pull := fast.Remote(cfg), fast.Pull(cfg)
	e := &Env{Path: path, Config: cfg, Store: &store.Store{StateDir: state, LogDir: logs}, StateDir: state,
		Notices: fast.Notices(cfg, state, logs, path)}
	switch cfg.Builder.Backend {
	case "local":
		e.Machine = fast.Local(cfg, state)
	default:
		e.VM = &vm.Machine{
			Client: &multipass.Client{Bin: cfg.Builder.Multipass},
			Name:   cfg.VM.Name,
			Spec: vm.Spec{CPUs: cfg.VM.CPUs, Memory: cfg.VM.Memory.Bytes(), Disk: cfg.VM.Disk.Bytes(),
				Swap: cfg.VM.Swap.Bytes(), Image: cfg.VM.Image},
			AutoCreate: cfg.VM.AutoCreate,
			// Tests point this at a host folder the fake multipass shares.
			GuestScriptDir: os.Getenv("NIXPASS_GUEST_SCRIPT_DIR"),
			GuestNixDir:    os.Getenv("NIXPASS_GUEST_NIX_DIR"),
			Remote:         remote,
			NetrcFile:      cfg.Builder.NetrcFile,
			Cache:          settings(pull.Settings()),
			MinFree:        cfg.VM.MinFreeSize().Bytes(),
			MaxFree:        cfg.VM.MaxFreeSize().Bytes(),
			MaxMemory:      cfg.VM.MaxMemorySize().Bytes(),
			AutoGrow:       cfg.VM.AutoGrow,
			Upload:         vm.Upload{URL: cfg.Cache.Upload, SecretKeyFile: cfg.Cache.SecretKeyFile},
		}
		e.Machine = e.VM
	}
	return e, nil
}

// OwnPaths are nixpass's own files and folders, which are never a trigger
// wherever they lie: the state folder, the log folder, the config file and
// its edit lock.
func (e *Env) OwnPaths() []string {
	return []string{e.StateDir, e.Store.LogDir, e.Path, e.Path + ".lock"}
}

// Builder returns a Builder for the configured machine.
func (e *Env) Builder(emit func(builder.Event)) *build.Builder {
	var grown func(int64) error
	var users build.VMUsers
	if e.VM != nil {
		users = e.VMUsers()
		// An OOM build that grew the VM keeps its size in the config, so
		// a recreated VM gets it; comments and layout stay.
		grown = func(n int64) error { return config.SetVMMemory(e.Path, config.Size(n)) }
	}
	b := &build.Builder{
		Machine:     e.Machine,
		Store:       e.Store,
		LockPath:    e.lockPath(),
		Pusher:      e.pusher(),
		Emit:        emit,
		Cache:       e.cacheUploader(),
		MemoryGrown: grown,
		VMUsers:     users,
	}
	fast.Configure(b, e.Config)
	return b
}

// Request turns a project into a build request.
func Request(p config.Project) builder.Project { return fast.Request(p) }
