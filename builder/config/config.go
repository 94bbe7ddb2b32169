// Package config loads, validates and edits nixpass's TOML configuration.
// Loading is strict (unknown keys and bad values are errors naming the file,
// line and key); edits are textual, so comments the user wrote survive, and
// atomic, so a crash never leaves a torn file.
package config

import (
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Config is the whole configuration file.
type Config struct {
	Builder   Builder   `toml:"builder"`
	VM        VM        `toml:"vm"`
	Scheduler Scheduler `toml:"scheduler"`
	Notify    Notify    `toml:"notify"`
	Projects  []Project `toml:"project"`
}

// Builder selects where builds run.
type Builder struct {
	// Backend is "multipass" (a Multipass VM; the default on macOS) or
	// "local" (this host's Nix; the default on Linux).
	Backend string `toml:"backend"`
	// Multipass is the path or name of the multipass CLI.
	Multipass string `toml:"multipass"`
	// Timeout bounds one build.
	Timeout Duration `toml:"timeout"`
}

// VM sizes the builder VM.
type VM struct {
	// Name is the Multipass instance name.
	Name string `toml:"name"`
	// CPUs defaults to half the host's cores.
	CPUs int `toml:"cpus"`
	// Memory defaults to a quarter of the host's RAM, at least 2G and at
	// most 8G.
	Memory Size `toml:"memory"`
	// Disk defaults to 40G; it can only grow later.
	Disk Size `toml:"disk"`
	// Image is the Ubuntu image, e.g. "24.04".
	Image string `toml:"image"`
	// Swap is the size of the swap file made at first boot; "0" for none.
	Swap Size `toml:"swap"`
	// IdleStop stops the VM after this long without builds; 0 is off.
	IdleStop Duration `toml:"idle_stop"`
	// AutoCreate launches the VM on the first build when it is missing.
	AutoCreate bool `toml:"auto_create"`
}

// Scheduler tunes automatic builds.
type Scheduler struct {
	// Quiet is how long a project must be quiet after a change.
	Quiet Duration `toml:"quiet"`
	// MaxWait bounds the wait under a steady stream of changes.
	MaxWait Duration `toml:"max_wait"`
	// Restart cancels a running build when its project changes, instead
	// of queueing one more build after it.
	Restart bool `toml:"restart"`
	// OnQuit is "cancel" or "finish": what quitting does to a running build.
	OnQuit string `toml:"on_quit"`
}

// Notify tunes notifications.
type Notify struct {
	// Success announces successful builds; failures are always announced.
	Success bool `toml:"success"`
}

// Project is one registered project folder.
type Project struct {
	// Path is the absolute project folder.
	Path string `toml:"path"`
	// File is the Nix file relative to Path ("default.nix" when neither
	// File nor Flake is set).
	File string `toml:"file,omitempty"`
	// Flake is a flake reference such as ".#image".
	Flake string `toml:"flake,omitempty"`
	// Attr is the attribute of File to build (-A).
	Attr string `toml:"attr,omitempty"`
	// Args are "--arg NAME EXPR" / "--argstr NAME VALUE" triples.
	Args []string `toml:"args,omitempty"`
	// Output is the image file written into Path.
	Output string `toml:"output,omitempty"`
	// Watch rebuilds on changes; absent means true.
	Watch *bool `toml:"watch,omitempty"`
	// DockerLoad runs `docker load` after each successful build.
	DockerLoad bool `toml:"docker_load,omitempty"`
}

// Default returns the configuration used when the file says nothing,
// sized from this host.
func Default() *Config {
	cpus := runtime.NumCPU() / 2
	if cpus < 1 {
		cpus = 1
	}
	mem := Size(hostMemory() / 4)
	mem = mem / (1 << 30) * (1 << 30)
	if mem < 2<<30 {
		mem = 2 << 30
	}
	if mem > 8<<30 {
		mem = 8 << 30
	}
	return &Config{
		Builder: Builder{Backend: defaultBackend, Multipass: "multipass", Timeout: Duration(2 * time.Hour)},
		VM: VM{Name: "nixpass", CPUs: cpus, Memory: mem, Disk: 40 << 30, Image: "24.04", Swap: 4 << 30,
			AutoCreate: true},
		Scheduler: Scheduler{Quiet: Duration(500 * time.Millisecond), MaxWait: Duration(5 * time.Second), OnQuit: "cancel"},
		Notify:    Notify{Success: true},
	}
}

// NewProject returns a project for dir with every default filled in.
func NewProject(dir string) Project {
	return Project{Path: filepath.Clean(dir)}.WithDefaults()
}

// WithDefaults fills the file, output and watch defaults.
func (p Project) WithDefaults() Project {
	if p.File == "" && p.Flake == "" {
		p.File = "default.nix"
	}
	if p.Output == "" {
		p.Output = "result.tar.gz"
	}
	if p.Watch == nil {
		t := true
		p.Watch = &t
	}
	return p
}

// Watching reports whether the project is rebuilt on changes.
func (p Project) Watching() bool { return p.Watch == nil || *p.Watch }

// OutputPath is the image file's full path.
func (p Project) OutputPath() string { return filepath.Join(p.Path, p.WithDefaults().Output) }

// Name is the project's folder name.
func (p Project) Name() string { return filepath.Base(p.Path) }

// Project finds the registered project for dir.
func (c *Config) Project(dir string) (*Project, bool) {
	dir = filepath.Clean(dir)
	for i := range c.Projects {
		if filepath.Clean(c.Projects[i].Path) == dir {
			p := c.Projects[i].WithDefaults()
			return &p, true
		}
	}
	return nil, false
}

// isOutLink reports names Nix uses for out-links, which an output must
// not take.
func isOutLink(name string) bool {
	return name == "result" || strings.HasPrefix(name, "result-")
}
