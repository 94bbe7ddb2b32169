package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"nixpass/builder"
	"nixpass/builder/clean"
	"nixpass/builder/config"
	"nixpass/builder/core"
	"nixpass/builder/redact"
	"nixpass/builder/shq"
)

func cmdAdd(c *cli, ctx context.Context, args []string) int {
	fs := c.flags("add")
	file := fs.String("file", "", "Nix file to build, relative to DIR (default default.nix)")
	flake := fs.String("flake", "", "flake reference to build, e.g. .#image")
	attr := fs.String("attr", "", "attribute of the Nix file (-A)")
	output := fs.String("output", "", "image file written into DIR (default result.tar.gz)")
	noWatch := fs.Bool("no-watch", false, "do not rebuild on changes")
	dockerLoad := fs.Bool("docker-load", false, "docker load the image after each build")
	var systems stringList
	fs.Var(&systems, "system", "build for this Nix system: x86_64-linux or aarch64-linux (default: the builder's own); twice: one image per system, pushed under one tag")
	push := fs.String("push", "", "push each image to REGISTRY/REPO[:TAG], e.g. docker.io/USER/app")
	var mounts stringList
	fs.Var(&mounts, "mount", "another folder the build reads, relative to DIR or absolute (repeatable), e.g. ../lib")
	pos, code, ok := c.parseArgs(fs, args, 1, 1)
	if !ok {
		return code
	}
	if *file != "" && *flake != "" {
		return c.usageError(fs, "use --file or --flake, not both")
	}
	dir, err := absDir(pos[0])
	if err != nil {
		return c.fail(err)
	}
	if why := refuseProject(dir); why != "" {
		return c.usageError(fs, why)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		why := dir + " is not a folder"
		if err != nil && !errors.Is(err, iofs.ErrNotExist) {
			// The real reason, such as "file name too long".
			why = err.Error()
		}
		return c.usageError(fs, why)
	}
	if state, err := config.StateDir(); err == nil && builder.Within(state, dir) {
		fmt.Fprintf(c.stderr, "nixpass add: warning: %s contains nixpass's state folder %s; nixpass ignores its own files there, but watching a folder this large is slow: consider registering the project's own folder\n", dir, state)
	}
	p := config.Project{Path: dir, File: *file, Flake: *flake, Attr: *attr, Output: *output, DockerLoad: *dockerLoad,
		Mounts: mounts, Push: *push}
	if len(systems) == 1 {
		p.System = systems[0]
	} else {
		p.Systems = systems
	}
	for i, m := range p.MountPaths() {
		if st, err := os.Stat(m); err != nil || !st.IsDir() {
			return c.usageError(fs, fmt.Sprintf("--mount %s: %s is not a folder (relative paths are relative to %s)", mounts[i], m, dir))
		}
	}
	if *noWatch {
		f := false
		p.Watch = &f
	}
	if err := config.AddProject(c.cfgPath(), p); err != nil {
		if errors.Is(err, config.ErrProjectExists) {
			fmt.Fprintf(c.stderr, "nixpass add: %s is already registered (nixpass list)\n", dir)
			return exitUsage
		}
		return c.fail(err)
	}
	for _, w := range config.ProjectWarnings(p) {
		fmt.Fprintf(c.stderr, "nixpass add: warning: %s\n", w)
	}
	p = p.WithDefaults()
	target := p.File
	if p.Flake != "" {
		target = p.Flake
	}
	fmt.Fprintf(c.stdout, "added %s (%s → %s)\n", clean.Line(dir), clean.Line(redact.URLs(target)), clean.Line(p.Output))
	if pid, ok := core.Running(); ok {
		fmt.Fprintf(c.stdout, "the running nixpass app (pid %s) builds it now\n", pid)
	} else {
		self := []string{selfCommand()}
		if c.configPath != "" {
			self = append(self, "--config", c.configPath)
		}
		fmt.Fprintf(c.stdout, "next: build it now with: %s\n  or start the app, which builds it and rebuilds on every change: %s\n",
			shq.Join(append(self, "build", dir)...), shq.Join(append(self, "app")...))
	}
	return 0
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(v string) error {
	*l = append(*l, v)
	return nil
}

func cmdRemove(c *cli, ctx context.Context, args []string) int {
	pos, code, ok := c.parseArgs(c.flags("remove"), args, 1, 1)
	if !ok {
		return code
	}
	dir, err := absDir(pos[0])
	if err != nil {
		return c.fail(err)
	}
	// Whether an image file stays is said only when there is one.
	var image string
	if cfg, err := config.Load(c.cfgPath()); err == nil {
		if p, ok := cfg.Project(dir); ok {
			if st, err := os.Stat(p.WithDefaults().OutputPath()); err == nil && st.Mode().IsRegular() {
				image = p.WithDefaults().OutputPath()
			}
		}
	}
	if err := config.RemoveProject(c.cfgPath(), dir); err != nil {
		if errors.Is(err, config.ErrProjectNotFound) {
			fmt.Fprintf(c.stderr, "nixpass remove: %s is not registered (nixpass list)\n", dir)
			return exitUsage
		}
		return c.fail(err)
	}
	if state, err := config.StateDir(); err == nil {
		if err := core.DropRoots(state, dir); err != nil {
			fmt.Fprintf(c.stderr, "warning: %v\n", err)
		}
	}
	if image != "" {
		fmt.Fprintf(c.stdout, "removed %s (its image file %s stays)\n", dir, image)
	} else {
		fmt.Fprintf(c.stdout, "removed %s\n", dir)
	}
	return 0
}

// listReport is `nixpass list --json`: one object, like every --json verb
// but `app --json`, so it can grow fields without breaking its readers.
type listReport struct {
	Projects []listEntry `json:"projects"`
}

// maskAll is args with the user info of their URLs masked.
func maskAll(args []string) []string {
	var out []string
	for _, a := range args {
		out = append(out, redact.URLs(a))
	}
	return out
}

// listEntry is one project in `nixpass list --json`: the path and output
// exact (they are keys), a flake ref's and args' URLs with their user
// info masked.
type listEntry struct {
	Path       string   `json:"path"`
	File       string   `json:"file,omitempty"`
	Flake      string   `json:"flake,omitempty"`
	Attr       string   `json:"attr,omitempty"`
	Args       []string `json:"args,omitempty"`
	Output     string   `json:"output"`
	Watch      bool     `json:"watch"`
	DockerLoad bool     `json:"docker_load"`
	System     string   `json:"system,omitempty"`
	Mounts     []string `json:"mounts,omitempty"`
	Push       string   `json:"push,omitempty"`
	Systems    []string `json:"systems,omitempty"`
	// Written is the path as the config file spells it, when that is not
	// the canonical path (Path) nixpass watches and builds.
	Written string `json:"written,omitempty"`
}

func cmdList(c *cli, ctx context.Context, args []string) int {
	fs := c.flags("list")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, code, ok := c.parseArgs(fs, args, 0, 0); !ok {
		return code
	}
	e, err := c.load()
	if err != nil {
		return c.fail(err)
	}
	entries := []listEntry{}
	for _, p := range e.Config.Projects {
		p = p.WithDefaults()
		entries = append(entries, listEntry{p.Path, p.File, redact.URLs(p.Flake), p.Attr, maskAll(p.Args), p.Output, p.Watching(), p.DockerLoad, p.System, p.Mounts, p.Push, p.Systems, p.Written})
	}
	if *asJSON {
		c.printJSON(listReport{Projects: entries})
		return 0
	}
	if len(entries) == 0 {
		fmt.Fprintln(c.stdout, "no projects yet: nixpass add DIR")
		return 0
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PROJECT\tBUILDS\tOUTPUT\tWATCH")
	for _, p := range entries {
		what := p.File
		if p.Attr != "" {
			what += " -A " + p.Attr
		}
		if p.Flake != "" {
			what = p.Flake
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%v\n", clean.Line(p.Path), clean.Line(what), clean.Line(p.Output), p.Watch)
	}
	tw.Flush()
	for _, p := range entries {
		if p.Written != "" {
			fmt.Fprintf(c.stdout, "%s is written %q in the config; nixpass watches and builds it as %s\n", clean.Line(p.Path), p.Written, clean.Line(p.Path))
		}
	}
	return 0
}

func cmdLogs(c *cli, ctx context.Context, args []string) int {
	pos, code, ok := c.parseArgs(c.flags("logs"), args, 0, 1)
	if !ok {
		return code
	}
	dir, err := absDir(firstOr(pos, ""))
	if err != nil {
		return c.fail(err)
	}
	e, err := c.load()
	if err != nil {
		return c.fail(err)
	}
	// The newest build's log: one still running first.
	if running := e.Store.Running(dir); len(running) > 0 {
		m := running[len(running)-1]
		if f, err := os.Open(m.Log); err == nil {
			defer f.Close()
			fmt.Fprintf(c.stderr, "# %s (still running: pid %d, since %s)\n", m.Log, m.PID, m.Started.Local().Format("15:04:05"))
			_, _ = io.Copy(c.stdout, f)
			return 0
		}
	}
	last, err := e.Store.Last(dir)
	if err != nil {
		return c.fail(err)
	}
	if last == nil || last.Log == "" {
		fmt.Fprintf(c.stderr, "nixpass logs: no build of %s yet (%s)\n", dir, shq.Join("nixpass", "build", dir))
		return exitUsage
	}
	f, err := os.Open(last.Log)
	if err != nil {
		return c.fail(fmt.Errorf("open log: %w", err))
	}
	defer f.Close()
	fmt.Fprintf(c.stderr, "# %s\n", last.Log)
	_, _ = io.Copy(c.stdout, f)
	return 0
}

// refuseProject says why dir can never be a project, or "".
func refuseProject(dir string) string {
	if filepath.Clean(dir) == string(filepath.Separator) {
		return "refusing to register / as a project: nixpass would watch and build the whole disk; register the project's own folder"
	}
	if home, err := os.UserHomeDir(); err == nil && home != "" && filepath.Clean(dir) == filepath.Clean(home) {
		return "refusing to register your home folder " + dir + " as a project: it holds nixpass's own state and everything else you have; register the project's own folder"
	}
	return ""
}

func firstOr(s []string, def string) string {
	if len(s) > 0 {
		return s[0]
	}
	return def
}
