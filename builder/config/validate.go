package config

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"nixpass/builder/lazyre"
)

// problem is a rule a configuration breaks: the key that breaks it, keys
// it involves that may be the one the user wrote instead, and what to do.
type problem struct {
	w   where
	alt []where
	msg string
}

var (
	// instanceName is Multipass's rule for instance names (they become
	// host names).
	instanceName = lazyre.New(`^[A-Za-z]([A-Za-z0-9-]*[A-Za-z0-9])?$`)
	// nixIdent is a Nix identifier, which --arg and --argstr name.
	nixIdent = lazyre.New(`^[A-Za-z_][A-Za-z0-9_'-]*$`)
)

// Validate checks a configuration built in code against the rules Parse
// applies. It returns Errors, without positions, or nil.
func (c *Config) Validate() error {
	probs := c.problems()
	if len(probs) == 0 {
		return nil
	}
	errs := make(Errors, len(probs))
	for i, p := range probs {
		errs[i] = &ParseError{Key: p.w.String(), Msg: p.msg}
	}
	return errs
}

// Validate checks one project on its own, as AddProject does before
// touching the file.
func (p Project) Validate() error {
	probs := p.problems(1)
	if len(probs) == 0 {
		return nil
	}
	errs := make(Errors, len(probs))
	for i, pr := range probs {
		errs[i] = &ParseError{Key: strings.TrimSpace(fmt.Sprintf("project %q %s", p.Path, pr.w.key)), Msg: pr.msg}
	}
	return errs
}

// problems lists every rule c breaks, in key order.
func (c *Config) problems() []problem {
	var out []problem
	bad := func(table, key, format string, a ...any) *problem {
		out = append(out, problem{w: where{table: table, key: key}, msg: fmt.Sprintf(format, a...)})
		return &out[len(out)-1]
	}

	b := c.Builder
	if b.Backend != BackendMultipass && b.Backend != BackendLocal {
		bad("builder", "backend", "must be %q (a Multipass VM) or %q (this host's Nix), not %q", BackendMultipass, BackendLocal, b.Backend)
	}
	if strings.TrimSpace(b.Multipass) == "" {
		bad("builder", "multipass", `must name the multipass CLI, e.g. "multipass" or "/usr/local/bin/multipass"`)
	}
	if b.Timeout <= 0 {
		bad("builder", "timeout", `%s is not more than zero: give builds time, e.g. "2h"`, b.Timeout)
	}
	for _, rp := range b.remoteProblems() {
		bad("builder", rp.key, "%s", rp.msg)
	}

	v := c.VM
	if !instanceName.MatchString(v.Name) {
		bad("vm", "name", `%q is not a Multipass instance name: use letters, digits and '-', starting with a letter and not ending with '-' (e.g. "nixpass")`, v.Name)
	}
	if v.CPUs < 1 {
		bad("vm", "cpus", "must be at least 1, not %d", v.CPUs)
	}
	if v.Memory < 512*MiB {
		bad("vm", "memory", `%s is too little: the VM needs at least 512M, and image builds want 4G or more (e.g. "8G")`, v.Memory)
	}
	if v.Disk < 1*GiB {
		bad("vm", "disk", `%s is too small: Multipass needs at least 1G, and a Nix store wants tens of G (e.g. "40G")`, v.Disk)
	}
	if strings.TrimSpace(v.Image) == "" {
		bad("vm", "image", `must name an Ubuntu image, e.g. "24.04"`)
	}
	switch {
	case v.Swap < 0:
		bad("vm", "swap", `must be "0" (no swap) or a size such as "4G", not %s`, v.Swap)
	case v.Swap > 0 && v.Swap >= v.Disk:
		bad("vm", "swap", "%s of swap does not fit on the %s disk (vm.disk): make it smaller, or \"0\" for none", v.Swap, v.Disk).
			alt = []where{{table: "vm", key: "disk"}}
	}
	for _, hp := range v.healProblems() {
		bad("vm", hp.key, "%s", hp.msg)
	}
	if v.IdleStop < 0 {
		bad("vm", "idle_stop", `must be "0" (keep running) or a duration such as "30m", not %s`, v.IdleStop)
	}

	s := c.Scheduler
	if s.Quiet <= 0 {
		bad("scheduler", "quiet", `%s is not more than zero: wait for writes to settle, e.g. "500ms"`, s.Quiet)
	}
	if s.MaxWait < s.Quiet {
		bad("scheduler", "max_wait", "max_wait (%s) is shorter than quiet (%s): make max_wait at least as long as quiet", s.MaxWait, s.Quiet).
			alt = []where{{table: "scheduler", key: "quiet"}}
	}
	if s.OnQuit != OnQuitCancel && s.OnQuit != OnQuitFinish {
		bad("scheduler", "on_quit", "must be %q (stop the running build) or %q (let it finish), not %q", OnQuitCancel, OnQuitFinish, s.OnQuit)
	}

	if strings.TrimSpace(c.Docker.Command) == "" {
		bad("docker", "command", `must name the docker CLI, e.g. "docker" or "/usr/local/bin/docker"`)
	}
	if c.Docker.LoadTimeout <= 0 {
		bad("docker", "load_timeout", `%s is not more than zero: give docker load time, e.g. "5m"`, c.Docker.LoadTimeout)
	}

	out = append(out, c.Registry.problems()...)
	for _, cp := range c.Cache.cacheProblems(c.Builder.Backend) {
		bad("cache", cp.key, "%s", cp.msg)
	}

	seen := map[string]int{}
	for i, p := range c.Projects {
		n := i + 1
		out = append(out, p.problems(n)...)
		if p.Path == "" {
			continue
		}
		clean := filepath.Clean(p.Path)
		if first, dup := seen[clean]; dup {
			out = append(out, problem{w: where{table: "project", index: n, key: "path"},
				msg: fmt.Sprintf("%q is already registered by [[project]] #%d: remove one of the two tables", p.Path, first)})
			continue
		}
		seen[clean] = n
	}
	return out
}

// problems lists the rules project number n breaks on its own.
func (p Project) problems(n int) []problem {
	var out []problem
	bad := func(key, format string, a ...any) *problem {
		out = append(out, problem{w: where{table: "project", index: n, key: key}, msg: fmt.Sprintf(format, a...)})
		return &out[len(out)-1]
	}
	// Paths come from the file system, which allows bytes TOML cannot
	// hold and NUL, which no argv can.
	for key, s := range map[string]string{"path": p.Path, "file": p.File, "flake": p.Flake, "attr": p.Attr, "output": p.Output, "system": p.System, "push": p.Push} {
		if !text(s) {
			bad(key, "%q is not valid UTF-8 text without NUL characters, which TOML and Nix need", s)
		}
	}
	for i, a := range p.Args {
		if !text(a) {
			bad("args", "element %d, %q, is not valid UTF-8 text without NUL characters", i+1, a)
		}
	}

	switch {
	case p.Path == "":
		bad("path", `is missing: add path = "/absolute/path/of/the/project"`)
	case !filepath.IsAbs(p.Path):
		bad("path", "%q is relative: write the absolute path of the project folder", p.Path)
	}
	// A value starting with "-" would reach Nix as an option
	// (--flake=--impure, a file named -E).
	for _, kv := range [][2]string{{"file", p.File}, {"flake", p.Flake}, {"attr", p.Attr}} {
		if strings.HasPrefix(kv[1], "-") {
			bad(kv[0], "%q starts with \"-\", which Nix would read as an option: write a value without the leading dash (a file: \"./%s\")", kv[1], kv[1])
		}
	}
	if p.File != "" && p.Flake != "" {
		bad("flake", "set file or flake, not both").alt = []where{{table: "project", index: n, key: "file"}}
	}
	if p.File != "" && !filepath.IsLocal(p.File) {
		bad("file", "%q must be a path inside the project folder, relative to path (e.g. %q)", p.File, DefaultFile)
	}
	if p.Flake != "" && p.Attr != "" {
		bad("attr", "applies to file projects: put the attribute in the flake reference instead (e.g. \".#%s\")", p.Attr)
	}
	if p.Flake != "" && len(p.Args) > 0 {
		bad("args", "apply to file projects only: a flake takes no --arg/--argstr")
	}
	if len(p.Args)%3 != 0 {
		bad("args", `must be --arg/--argstr NAME VALUE triples, e.g. ["--argstr", "tag", "v1"]; got %d strings`, len(p.Args))
	} else {
		for i := 0; i < len(p.Args); i += 3 {
			if flag := p.Args[i]; flag != "--arg" && flag != "--argstr" {
				bad("args", "element %d is %q: each triple starts with --arg or --argstr", i+1, flag)
			} else if name := p.Args[i+1]; !nixIdent.MatchString(name) {
				bad("args", "element %d is %q, which is not a Nix argument name (e.g. \"tag\")", i+2, name)
			}
		}
	}
	for _, kv := range []struct {
		key string
		n   *int
	}{{"max_jobs", p.MaxJobs}, {"cores", p.Cores}} {
		if kv.n != nil && *kv.n < 1 {
			bad(kv.key, "%d is less than 1: give Nix at least one (left out: Nix's own setting)", *kv.n)
		}
	}
	if p.System != "" && !slices.Contains(Systems, p.System) {
		bad("system", "%q is not a system nixpass builds for: use %q or %q", p.System, Systems[0], Systems[1])
	}
	p.pushProblems(func(key, format string, a ...any) *problem { return bad(key, format, a...) })
	seenMount := map[string]int{}
	for i, m := range p.Mounts {
		switch {
		case !text(m):
			bad("mounts", "element %d, %q, is not valid UTF-8 text without NUL characters", i+1, m)
			continue
		case strings.TrimSpace(m) == "":
			bad("mounts", "element %d is empty: give a folder, absolute or relative to path (e.g. \"../lib\")", i+1)
			continue
		}
		if p.Path == "" || !filepath.IsAbs(p.Path) {
			continue
		}
		abs := p.MountPaths()[i]
		if rel, err := filepath.Rel(abs, p.Path); err == nil && filepath.IsLocal(rel) || abs == filepath.Clean(p.Path) {
			bad("mounts", "element %d, %q, is %s, which holds the project folder: it is mounted already", i+1, m, abs)
		} else if rel, err := filepath.Rel(p.Path, abs); err == nil && filepath.IsLocal(rel) {
			bad("mounts", "element %d, %q, is inside the project folder, which is mounted already", i+1, m)
		} else if first, dup := seenMount[abs]; dup {
			bad("mounts", "element %d, %q, is the same folder as element %d", i+1, m, first)
		}
		seenMount[abs] = i + 1
	}
	if o := p.Output; o != "" {
		switch {
		case strings.Contains(o, "/") || o == "." || o == "..":
			bad("output", "%q must be a plain file name in the project folder, such as %q", o, DefaultOutput)
		case o == "result" || strings.HasPrefix(o, "result-"):
			bad("output", "%q is a name Nix uses for its out-links: choose another, such as %q", o, DefaultOutput)
		}
	}
	return out
}

func text(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }
