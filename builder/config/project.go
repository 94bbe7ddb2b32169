package config

import "path/filepath"

// Project is one [[project]] table: a folder whose Nix expression builds
// a Docker image.
type Project struct {
	// Path is the project folder, an absolute path (required; each folder
	// is registered once).
	Path string `toml:"path"`
	// File is the Nix file to build, relative to Path. It is
	// "default.nix" when neither File nor Flake is set; File and Flake
	// exclude each other.
	File string `toml:"file,omitempty"`
	// Flake is the flake reference to build instead of a file, such as
	// ".#image".
	Flake string `toml:"flake,omitempty"`
	// Attr is the attribute of File to build, as `nix-build -A` takes it
	// (file projects only; a flake names its attribute after '#').
	Attr string `toml:"attr,omitempty"`
	// Args are passed to nix-build as "--arg NAME EXPR" and
	// "--argstr NAME VALUE" triples, e.g.
	// ["--argstr", "tag", "v1", "--arg", "debug", "true"] (file projects
	// only).
	Args []string `toml:"args,omitempty"`
	// Output is the image file written into Path (default
	// "result.tar.gz"). It must be a plain file name, and not "result" or
	// "result-*", the names of Nix's out-links.
	Output string `toml:"output,omitempty"`
	// Watch rebuilds the project when its files change. Leaving it out
	// means true; it is a pointer so that an absent key can be told from
	// false.
	Watch *bool `toml:"watch,omitempty"`
	// DockerLoad runs `docker load` on the image after each successful
	// build (default false).
	DockerLoad bool `toml:"docker_load,omitempty"`
	// System is the Nix system the image is built for: "x86_64-linux" or
	// "aarch64-linux". Left out, the builder's own (arm64 in Multipass on
	// Apple silicon). A system the builder does not run natively is built
	// through qemu-user emulation.
	System string `toml:"system,omitempty"`
	// Mounts are more folders the build reads, such as a monorepo's
	// shared Nix library: absolute, or relative to Path (e.g. "../lib").
	// The VM mounts them at their own paths like the project, and they
	// are watched like it.
	Mounts []string `toml:"mounts,omitempty"`
	// Push is where every successful build is pushed, as
	// "REGISTRY/REPO[:TAG]" with the registry written out (docker.io/…
	// for Docker Hub) and no digest.
	Push string `toml:"push,omitempty"`
	// Systems builds the image once per system and pushes them under one
	// tag (excludes System).
	Systems []string `toml:"systems,omitempty"`

	// Written is Path as the file spells it, when Load read it in another
	// spelling than the canonical one Path then holds ("" when the two
	// agree). The file itself is never rewritten for this.
	Written string `toml:"-"`
}

// Systems are the values system may take.
var Systems = []string{"x86_64-linux", "aarch64-linux"}

// Default values of a project's keys.
const (
	// DefaultFile is the Nix file built when neither file nor flake is set.
	DefaultFile = "default.nix"
	// DefaultOutput is the image file name when output is not set.
	DefaultOutput = "result.tar.gz"
)

// NewProject returns a project for the folder dir with every default
// filled in.
func NewProject(dir string) Project {
	return Project{Path: filepath.Clean(dir)}.WithDefaults()
}

// WithDefaults returns p with the file, output and watch defaults filled
// in where p leaves them out.
func (p Project) WithDefaults() Project {
	if p.File == "" && p.Flake == "" {
		p.File = DefaultFile
	}
	if p.Output == "" {
		p.Output = DefaultOutput
	}
	if p.Watch == nil {
		p.Watch = boolPtr(true)
	}
	return p
}

// Watching reports whether the project is rebuilt on changes; an absent
// watch key means it is.
func (p Project) Watching() bool { return p.Watch == nil || *p.Watch }

// OutputPath is the full path of the image file the project's builds
// write.
func (p Project) OutputPath() string {
	return filepath.Join(p.Path, p.WithDefaults().Output)
}

// MountPaths returns the project's extra folders as canonical paths
// (Canonical: symlinks resolved, the disk's spelling), relative ones
// resolved against Path, so a symlinked ../lib is watched and mounted as
// the folder it is.
func (p Project) MountPaths() []string {
	var out []string
	for _, m := range p.Mounts {
		if !filepath.IsAbs(m) {
			m = filepath.Join(p.Path, m)
		}
		if c, err := Canonical(m); err == nil {
			m = c
		}
		out = append(out, filepath.Clean(m))
	}
	return out
}

// Name is the project's folder name, which is how the menu and
// notifications refer to it.
func (p Project) Name() string { return filepath.Base(p.Path) }

// Project returns a copy, defaults filled in, of the project registered
// for the folder dir. Paths are compared after filepath.Clean, so
// "/a/b/" finds "/a/b".
func (c *Config) Project(dir string) (*Project, bool) {
	i := c.projectIndex(dir)
	if i < 0 {
		return nil, false
	}
	p := c.Projects[i].WithDefaults()
	return &p, true
}

// projectIndex is the index in c.Projects of dir's project, or -1. A path
// spelled as the file has it matches first; otherwise the canonical forms
// are compared, so a folder the file names through a symlink, in another
// case or Unicode form is still found by its real path, and the reverse.
func (c *Config) projectIndex(dir string) int {
	dir = filepath.Clean(dir)
	for i := range c.Projects {
		if filepath.Clean(c.Projects[i].Path) == dir {
			return i
		}
	}
	want, err := Canonical(dir)
	if err != nil {
		return -1
	}
	for i := range c.Projects {
		if got, err := Canonical(c.Projects[i].Path); err == nil && got == want {
			return i
		}
	}
	return -1
}

func boolPtr(b bool) *bool { return &b }
