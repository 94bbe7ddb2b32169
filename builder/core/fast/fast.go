// Package fast is the part of core that a no-op build on this host needs,
// and nothing more: it reads the config, wires the local machine and a
// build.Builder to it, and finishes a build only while the project is up
// to date (build.Builder.BuildIfUpToDate). The CLI's lean front
// (app/fast) runs it so `nixpass build` of an up-to-date project starts
// no registry, VM, watcher, login-agent or tray code: their packages'
// start-up alone cost more than the rest of a no-op. core builds on the
// same wiring (Request, Local, Configure, Notices), so the two never
// disagree.
//
// Like core it names a concrete machine (machine/local) and reads config;
// core imports it, and only app imports either.
package fast

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
)

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

// Remote is the config's remote builders and substituters, for a machine.
func Remote(cfg *config.Config) machine.Remote {
	return machine.Remote{Builders: cfg.Builder.Builders, UseSubstitutes: cfg.Builder.BuildersUseSubstitutes, MaxJobs: cfg.Builder.MaxJobs,
		Substituters: cfg.Builder.Substituters, TrustedPublicKeys: cfg.Builder.TrustedPublicKeys}
}

// Pull is the config's team cache, to read from.
func Pull(cfg *config.Config) cache.Pull {
	return cache.Pull{URL: cfg.Cache.URL, PublicKey: cfg.Cache.PublicKey}
}

// Local is the local backend's machine for cfg, its script in state.
func Local(cfg *config.Config, state string) *local.Machine {
	return &local.Machine{ScriptDir: filepath.Join(state, "bin"), Remote: Remote(cfg), Cache: Pull(cfg)}
}

// LockPath is the builder lock every build of the configured builder
// holds, in the state folder.
func LockPath(cfg *config.Config, state string) string {
	return filepath.Join(state, "locks", cfg.Builder.Backend+"-"+cfg.VM.Name+".lock")
}

// Configure sets what every Builder takes from the config alone (its
// machine, store, lock and emit are the caller's); core adds the
// registry, the cache and the VM's parts.
func Configure(b *build.Builder, cfg *config.Config) {
	b.Timeout = cfg.Builder.Timeout.D()
	b.Docker = &docker.CLI{Command: cfg.Docker.Command, LoadTimeout: cfg.Docker.LoadTimeout.D()}
	// NIXPASS_DEPLOY_PLATFORM lets tests (and users) name it.
	b.DeployPlatform = deployPlatform(cfg.Builder.Backend)
	b.NoOOMRetry = cfg.Builder.OOMRetry != nil && !*cfg.Builder.OOMRetry
	b.RemoteOnly = cfg.Builder.MaxJobs != nil && *cfg.Builder.MaxJobs == 0
	// The builder runs on this machine's architecture: a Multipass
	// guest's is the host's, whatever the binary's (Rosetta).
	b.System = OwnSystem(hostarch.Arch())
}

// OwnSystem is the Nix system of a builder of arch (GOARCH spelling).
func OwnSystem(arch string) string {
	if arch == "arm64" {
		return "aarch64-linux"
	}
	return "x86_64-linux"
}

// deployPlatform is the platform images are likely deployed to, for the
// warning about images built for another one.
func deployPlatform(backend string) string {
	if v, ok := os.LookupEnv("NIXPASS_DEPLOY_PLATFORM"); ok {
		return v
	}
	return build.LikelyDeployPlatform(runtime.GOOS, hostarch.Arch(), backend)
}

// Notices is what loading the config at path found for the user's log:
// the folders and files made private once (Private), and the config's
// warnings.
func Notices(cfg *config.Config, state, logs, path string) []string {
	out := Private(state, logs, path)
	for _, w := range cfg.Warnings() {
		out = append(out, "warning: "+w)
	}
	return out
}

// Private makes nixpass's folders private once (config.Tighten) and says
// what it changed.
func Private(state, logs, path string) []string {
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
