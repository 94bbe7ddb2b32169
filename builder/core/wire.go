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
	"path/filepath"
	"runtime"
	"strings"

	"nixpass/builder"
	"nixpass/builder/build"
	"nixpass/builder/cache"
	"nixpass/builder/config"
	"nixpass/builder/docker"
	"nixpass/builder/hostarch"
	"nixpass/builder/machine"
	"nixpass/builder/machine/local"
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
	remote := machine.Remote{Builders: cfg.Builder.Builders, UseSubstitutes: cfg.Builder.BuildersUseSubstitutes, MaxJobs: cfg.Builder.MaxJobs,
		Substituters: cfg.Builder.Substituters, TrustedPublicKeys: cfg.Builder.TrustedPublicKeys}
	pull := cache.Pull{URL: cfg.Cache.URL, PublicKey: cfg.Cache.PublicKey}
	e := &Env{Path: path, Config: cfg, Store: &store.Store{StateDir: state, LogDir: logs}, StateDir: state}
	e.Notices = append(e.Notices, privateNotices(state, logs, path)...)
	for _, w := range cfg.Warnings() {
		e.Notices = append(e.Notices, "warning: "+w)
	}
	switch cfg.Builder.Backend {
	case "local":
		e.Machine = &local.Machine{ScriptDir: filepath.Join(state, "bin"), Remote: remote, Cache: pull}
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
	return &build.Builder{
		Machine:     e.Machine,
		Store:       e.Store,
		LockPath:    e.lockPath(),
		Timeout:     e.Config.Builder.Timeout.D(),
		Docker:      &docker.CLI{Command: e.Config.Docker.Command, LoadTimeout: e.Config.Docker.LoadTimeout.D()},
		Pusher:      e.pusher(),
		Emit:        emit,
		Cache:       e.cacheUploader(),
		ScriptCache: e.scriptUploader(),
		MemoryGrown: grown,
		VMUsers:     users,
		// NIXPASS_DEPLOY_PLATFORM lets tests (and users) name it.
		DeployPlatform: deployPlatform(e.Config.Builder.Backend),
		NoOOMRetry:     e.Config.Builder.OOMRetry != nil && !*e.Config.Builder.OOMRetry,
		RemoteOnly:     e.Config.Builder.MaxJobs != nil && *e.Config.Builder.MaxJobs == 0,
		// The builder runs on this machine's architecture: a Multipass
		// guest's is the host's, whatever the binary's (Rosetta).
		System: ownSystem(hostarch.Arch()),
	}
}

// ownSystem is the Nix system of a builder of arch (GOARCH spelling).
func ownSystem(arch string) string {
	if arch == "arm64" {
		return "aarch64-linux"
	}
	return "x86_64-linux"
}

// Request turns a project into a build request.
func Request(p config.Project) builder.Project {
	p = p.WithDefaults()
	r := builder.Project{Dir: p.Path, File: p.File, Flake: p.Flake, Attr: p.Attr, Args: p.Args, Output: p.Output, DockerLoad: p.DockerLoad,
		System: p.System, Mounts: p.MountPaths(), Push: p.Push, Systems: p.Systems,
		MaxJobs: deref(p.MaxJobs), Cores: deref(p.Cores)}
	if len(p.Systems) == 1 && p.System == "" {
		r.System, r.Systems = p.Systems[0], nil
	}
	return r
}

// deployPlatform is the platform images are likely deployed to, for the
// warning about images built for another one.
func deployPlatform(backend string) string {
	if v, ok := os.LookupEnv("NIXPASS_DEPLOY_PLATFORM"); ok {
		return v
	}
	return build.LikelyDeployPlatform(runtime.GOOS, hostarch.Arch(), backend)
}

// privateNotices makes nixpass's folders private once (config.Tighten)
// and says what it changed.
func privateNotices(state, logs, path string) []string {
	changed, err := config.Tighten(state, logs, path)
	var out []string
	if len(changed) > 0 {
		out = append(out, fmt.Sprintf("made %d folder(s) and file(s) older versions left readable to others private (0700 folders, 0600 files):\n  %s",
			len(changed), strings.Join(changed, "\n  ")))
	}
	if err != nil {
		out = append(out, fmt.Sprintf("warning: could not make every nixpass folder private: %v", err))
	}
	return out
}

// deref is *n, or 0 for nil (left out).
func deref(n *int) int {
	if n == nil {
		return 0
	}
	return *n
}
