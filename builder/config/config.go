// Package config loads, validates and edits nixpass's TOML configuration.
//
// Loading is strict: unknown keys, values of the wrong type and values
// that break a rule are all reported, each naming the file, the line and
// the key. Edits (AddProject, RemoveProject, SetProjectWatch) change the
// text of the file rather than re-encoding it, so comments and layout the
// user wrote survive, and they replace the file atomically under a lock,
// so neither a crash nor a second nixpass process can tear it.
//
// It imports no other nixpass package (line 1 of docs/architecture.md).
package config

import (
	"runtime"
	"time"
)

// Config is the whole configuration file. Every key is optional; Default
// holds the values used for keys the file leaves out.
type Config struct {
	// Builder is the [builder] table: where builds run.
	Builder Builder `toml:"builder"`
	// VM is the [vm] table: the Multipass VM builds run in.
	VM VM `toml:"vm"`
	// Scheduler is the [scheduler] table: when automatic builds start.
	Scheduler Scheduler `toml:"scheduler"`
	// Notify is the [notify] table: which outcomes are announced.
	Notify Notify `toml:"notify"`
	// Docker is the [docker] table: how images are loaded into Docker.
	Docker Docker `toml:"docker"`
	// Registry is the [registry] table: TLS and plain HTTP for pushes.
	Registry Registry `toml:"registry"`
	// Cache is the [cache] table: the team's binary cache, pulled from
	// and uploaded to.
	Cache Cache `toml:"cache"`
	// Projects are the [[project]] tables, one per registered folder.
	Projects []Project `toml:"project"`
}

// Builder is the [builder] table.
type Builder struct {
	// Backend is where builds run: "multipass" builds in a Multipass VM
	// (the default on macOS), "local" uses this host's Nix (the default on
	// Linux).
	Backend string `toml:"backend"`
	// Multipass is the multipass CLI, as a command name looked up on PATH
	// or a path (default "multipass").
	Multipass string `toml:"multipass"`
	// Timeout is the longest one build may run before it is cancelled, as
	// a Go duration such as "90m" (default "2h"; must be more than zero).
	Timeout Duration `toml:"timeout"`
	// Builders are Nix machine lines ("URI SYSTEMS KEY JOBS SPEED
	// FEATURES MANDATORY HOSTKEY", "-" for a default): remote builders Nix
	// hands derivations to, over ssh:// or ssh-ng://. See remote.go.
	Builders []string `toml:"builders"`
	// BuildersUseSubstitutes lets the remote builders fetch dependencies
	// from their binary caches instead of receiving them from here; nil
	// leaves Nix's setting alone.
	BuildersUseSubstitutes *bool `toml:"builders_use_substitutes"`
	// MaxJobs is Nix's max-jobs for local builds: 0 builds only on the
	// remote builders; nil leaves Nix's default (local and remote).
	MaxJobs *int `toml:"max_jobs"`
	// Substituters replace Nix's binary caches (URLs), when set.
	Substituters []string `toml:"substituters"`
	// TrustedPublicKeys are the caches' signing keys ("NAME:BASE64").
	TrustedPublicKeys []string `toml:"trusted_public_keys"`
	// NetrcFile is a netrc file on this host holding the credentials of
	// private binary caches; `nixpass vm setup` installs it in the VM as
	// /etc/nix/netrc (root's, mode 0600), where the VM's nix-daemon reads
	// it. An absolute path; "" installs none.
	NetrcFile string `toml:"netrc_file"`
}

// VM is the [vm] table. Size keys take Multipass's syntax: bytes, or a
// number with K, M or G ("8G", "512M", "1.5G").
type VM struct {
	// Name is the Multipass instance name (default "nixpass"): letters,
	// digits and '-', starting with a letter and not ending with '-'.
	Name string `toml:"name"`
	// CPUs is the number of virtual CPUs (default: half this host's cores,
	// at least 1).
	CPUs int `toml:"cpus"`
	// Memory is the VM's RAM (default: a quarter of this host's RAM in
	// whole GiB, at least 2G and at most 8G; must be at least 512M).
	Memory Size `toml:"memory"`
	// Disk is the VM's disk, which holds its Nix store (default "40G";
	// at least 1G). Multipass can grow a disk later but never shrink it.
	Disk Size `toml:"disk"`
	// Image is the Ubuntu image the VM is launched from (default "24.04").
	Image string `toml:"image"`
	// Swap is the size of the swap file created in the VM at first boot
	// (default "4G"; "0" for none). It lives on the disk, so it must be
	// smaller than Disk.
	Swap Size `toml:"swap"`
	// IdleStop stops the VM after this long without builds, as a Go
	// duration such as "30m"; "0" or leaving it out keeps the VM running.
	IdleStop Duration `toml:"idle_stop"`
	// AutoCreate launches the VM on the first build when it does not exist
	// yet (default true); false makes a missing VM an error until
	// `nixpass vm create` is run.
	AutoCreate bool `toml:"auto_create"`
	// MinFree is the free space Nix keeps on the VM's store (Nix's
	// min-free): below it, garbage is collected before and during a
	// build (default: 10% of Disk or 5G, whichever is less; see heal.go).
	MinFree Size `toml:"min_free"`
	// MaxFree is the free space a collection stops at (Nix's max-free;
	// default: twice MinFree).
	MaxFree Size `toml:"max_free"`
	// MaxMemory bounds how far an out-of-memory build may grow the VM's
	// memory (default: half this host's RAM).
	MaxMemory Size `toml:"max_memory"`
	// AutoGrow lets a build that ran out of memory at one job grow the
	// VM's memory (up to MaxMemory), write it to memory, and rebuild once
	// (default false: nixpass says what it would do).
	AutoGrow bool `toml:"auto_grow"`
}

// Scheduler is the [scheduler] table.
type Scheduler struct {
	// Quiet is how long a project must go without file changes before an
	// automatic build starts (default "500ms"; more than zero).
	Quiet Duration `toml:"quiet"`
	// MaxWait bounds the wait under a steady stream of changes: a build
	// starts at the latest this long after the first change (default "5s";
	// at least Quiet).
	MaxWait Duration `toml:"max_wait"`
	// Restart cancels a running build when its project changes again and
	// starts over; false (the default) lets it finish and queues one more.
	Restart bool `toml:"restart"`
	// OnQuit is what quitting nixpass does to a running build: "cancel"
	// (the default) or "finish".
	OnQuit string `toml:"on_quit"`
}

// Notify is the [notify] table.
type Notify struct {
	// Success announces successful builds too (default true); failed
	// builds are always announced.
	Success bool `toml:"success"`
}

// Docker is the [docker] table, for projects with docker_load.
type Docker struct {
	// Command is the docker CLI, as a command name looked up on PATH and
	// in the folders installers use, or a path (default "docker"). It
	// runs with nixpass's environment, so DOCKER_HOST and DOCKER_CONTEXT
	// apply as they do in a terminal.
	Command string `toml:"command"`
	// LoadTimeout bounds one `docker load`, as a Go duration such as "5m"
	// (default "5m"; more than zero): a hung engine fails the load, not
	// the whole build at the build timeout.
	LoadTimeout Duration `toml:"load_timeout"`
}

// Scheduler.on_quit values.
const (
	// OnQuitCancel cancels a running build when nixpass quits.
	OnQuitCancel = "cancel"
	// OnQuitFinish lets a running build finish before nixpass quits.
	OnQuitFinish = "finish"
)

// Builder.backend values.
const (
	// BackendMultipass builds in a Multipass VM.
	BackendMultipass = "multipass"
	// BackendLocal builds with this host's Nix.
	BackendLocal = "local"
)

// Size units, binary like Multipass's.
const (
	// KiB is 1024 bytes, what Multipass means by "K".
	KiB Size = 1 << 10
	// MiB is 1024 KiB, what Multipass means by "M".
	MiB Size = 1 << 20
	// GiB is 1024 MiB, what Multipass means by "G".
	GiB Size = 1 << 30
)

// Default returns the configuration used for every key a file leaves out,
// with the VM sized from this host.
func Default() *Config {
	return &Config{
		Builder: Builder{
			Backend:   defaultBackend,
			Multipass: "multipass",
			Timeout:   Duration(2 * time.Hour),
		},
		VM: VM{
			Name:       "nixpass",
			CPUs:       defaultCPUs(runtime.NumCPU()),
			Memory:     defaultMemory(hostMemory()),
			Disk:       40 * GiB,
			Image:      "24.04",
			Swap:       4 * GiB,
			AutoCreate: true,
		},
		Scheduler: Scheduler{
			Quiet:   Duration(500 * time.Millisecond),
			MaxWait: Duration(5 * time.Second),
			OnQuit:  OnQuitCancel,
		},
		Notify: Notify{Success: true},
		Docker: Docker{Command: "docker", LoadTimeout: Duration(5 * time.Minute)},
	}
}

// defaultCPUs leaves half the host's cores to the host.
func defaultCPUs(hostCPUs int) int {
	return max(1, hostCPUs/2)
}

// defaultMemory gives the VM a quarter of the host's RAM in whole GiB:
// at least 2G, which Nix needs to evaluate nixpkgs, and at most 8G, which
// is plenty for image builds. hostBytes is 0 when the host's RAM is
// unknown.
func defaultMemory(hostBytes int64) Size {
	m := Size(hostBytes/4) / GiB * GiB
	return min(max(m, 2*GiB), 8*GiB)
}
