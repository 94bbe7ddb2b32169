package config

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// fileHeader opens every file Render writes.
const fileHeader = `# nixpass configuration (TOML). Every key is optional: a key left
# commented out shows the default nixpass uses on this machine; remove its
# "# " to change it. nixpass edits the [[project]] tables itself (nixpass
# add, nixpass remove) and keeps everything else in this file as written.
`

// projectsHelp introduces the [[project]] tables in a rendered file.
const projectsHelp = `# One [[project]] table per project folder. Keys: path (absolute,
# required); file (a Nix file relative to path, default "default.nix") or
# flake (a flake reference such as ".#image"); attr and args (file projects
# only: -A ATTR, and --arg/--argstr NAME VALUE triples); output (the image
# file written into path, default "result.tar.gz"); watch (rebuild on
# changes, default true); docker_load (docker load each image, default
# false); system ("x86_64-linux" or "aarch64-linux", default the
# builder's own); mounts (more folders the build reads, e.g. ["../lib"]);
# push (push each image to "REGISTRY/REPO[:TAG]"); systems (one image per
# system, pushed under one tag, e.g. ["x86_64-linux", "aarch64-linux"]).
`

// referenceKey is one key Render writes, with the comment above it.
type referenceKey struct {
	key   string
	help  string
	value func(c *Config) string
}

// reference lists the tables and keys Render writes, in order.
var reference = []struct {
	table string
	help  string
	keys  []referenceKey
}{
	{"builder", "Where builds run.", []referenceKey{
		{"backend", `"multipass" builds in a Multipass VM; "local" uses this machine's Nix.`,
			func(c *Config) string { return quote(c.Builder.Backend) }},
		{"multipass", "The multipass CLI, by name on PATH or by path.",
			func(c *Config) string { return quote(c.Builder.Multipass) }},
		{"timeout", `The longest a build may run, e.g. "90m" or "2h".`,
			func(c *Config) string { return quote(c.Builder.Timeout.String()) }},
		{"builders", `Remote builders, as Nix machine lines: "URI SYSTEMS SSH-KEY JOBS SPEED FEATURES MANDATORY HOST-KEY" ("-" for a default).`,
			func(c *Config) string {
				return quoteList(c.Builder.Builders, `["ssh-ng://me@bigbox x86_64-linux,aarch64-linux /Users/me/.ssh/nix_builder 16 1 big-parallel - -"]`)
			}},
		{"builders_use_substitutes", "Remote builders fetch dependencies from their binary caches instead of from here.",
			func(c *Config) string {
				if c.Builder.BuildersUseSubstitutes == nil {
					return "true  # left out: Nix's own setting"
				}
				return strconv.FormatBool(*c.Builder.BuildersUseSubstitutes)
			}},
		{"max_jobs", "Local build jobs: 0 builds only on the remote builders; left out: Nix's default (local and remote).",
			func(c *Config) string {
				if c.Builder.MaxJobs == nil {
					return "0  # left out: Nix's default"
				}
				return strconv.Itoa(*c.Builder.MaxJobs)
			}},
		{"substituters", "Binary caches, replacing Nix's list; left out: Nix's own.",
			func(c *Config) string {
				return quoteList(c.Builder.Substituters, `["https://cache.nixos.org", "https://my-team.cachix.org"]`)
			}},
		{"trusted_public_keys", "The binary caches' signing keys, NAME:BASE64.",
			func(c *Config) string {
				return quoteList(c.Builder.TrustedPublicKeys, `["cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY="]`)
			}},
		{"netrc_file", "A netrc file with private caches' credentials, installed in the VM as /etc/nix/netrc (root only).",
			func(c *Config) string {
				if c.Builder.NetrcFile == "" {
					return `"/Users/me/.config/nix/netrc"  # left out: none`
				}
				return quote(c.Builder.NetrcFile)
			}},
	}},
	{"vm", "The Multipass VM builds run in. Sizes are bytes, or a number with K, M or G.", []referenceKey{
		{"name", "Multipass instance name.",
			func(c *Config) string { return quote(c.VM.Name) }},
		{"cpus", "Virtual CPUs (default: half this machine's cores).",
			func(c *Config) string { return strconv.Itoa(c.VM.CPUs) }},
		{"memory", "RAM (default: a quarter of this machine's, from 2G to 8G).",
			func(c *Config) string { return quote(c.VM.Memory.String()) }},
		{"disk", "Disk, which holds the Nix store; Multipass can grow it later, never shrink it.",
			func(c *Config) string { return quote(c.VM.Disk.String()) }},
		{"image", "Ubuntu image the VM is launched from.",
			func(c *Config) string { return quote(c.VM.Image) }},
		{"swap", `Swap file made at first boot; "0" for none.`,
			func(c *Config) string { return quote(c.VM.Swap.String()) }},
		{"idle_stop", `Stop the VM after this long without builds, e.g. "30m"; "0" keeps it running.`,
			func(c *Config) string { return quote(c.VM.IdleStop.String()) }},
		{"auto_create", "Create the VM on the first build when it does not exist.",
			func(c *Config) string { return strconv.FormatBool(c.VM.AutoCreate) }},
		{"min_free", "Free space kept on the VM's Nix store: below it, garbage is collected (default: 10% of disk or 5G, the less).",
			func(c *Config) string { return leftOut(c.VM.MinFree, `"5G"  # left out: 10% of disk or 5G`) }},
		{"max_free", "Free space a collection stops at (default: twice min_free).",
			func(c *Config) string { return leftOut(c.VM.MaxFree, `"10G"  # left out: twice min_free`) }},
		{"max_memory", "Most memory a build that ran out of it may grow the VM to (default: half this machine's).",
			func(c *Config) string { return leftOut(c.VM.MaxMemory, `"16G"  # left out: half this machine's RAM`) }},
		{"auto_grow", "true: a build out of memory at one job grows the VM's memory and rebuilds once; false: nixpass says what it would do.",
			func(c *Config) string { return strconv.FormatBool(c.VM.AutoGrow) }},
	}},
	{"scheduler", "When automatic builds start after files change.", []referenceKey{
		{"quiet", "Start once files have been quiet this long...",
			func(c *Config) string { return quote(c.Scheduler.Quiet.String()) }},
		{"max_wait", "...or at the latest this long after the first change.",
			func(c *Config) string { return quote(c.Scheduler.MaxWait.String()) }},
		{"restart", "true: a change cancels a running build and starts over; false: one more build is queued.",
			func(c *Config) string { return strconv.FormatBool(c.Scheduler.Restart) }},
		{"on_quit", `What quitting nixpass does to a running build: "cancel" or "finish".`,
			func(c *Config) string { return quote(c.Scheduler.OnQuit) }},
	}},
	{"notify", "Notifications. Failed builds are always announced.", []referenceKey{
		{"success", "Announce successful builds too.",
			func(c *Config) string { return strconv.FormatBool(c.Notify.Success) }},
	}},
	{"docker", "Loading images into Docker (projects with docker_load = true).", []referenceKey{
		{"command", "The docker CLI, by name on PATH or by path; DOCKER_HOST and DOCKER_CONTEXT apply.",
			func(c *Config) string { return quote(c.Docker.Command) }},
		{"load_timeout", `The longest one docker load may take, e.g. "5m".`,
			func(c *Config) string { return quote(c.Docker.LoadTimeout.String()) }},
	}},
	{"registry", "Pushing to registries (projects with push = \"REGISTRY/REPO[:TAG]\").", []referenceKey{
		{"ca_files", "PEM files of certificate authorities trusted beside the system's (a company or self-signed CA).",
			func(c *Config) string { return quoteList(c.Registry.CAFiles, `["/etc/ssl/company-ca.pem"]`) }},
		{"insecure", "Registries (HOST:PORT) spoken to in plain HTTP; loopback ones always may be.",
			func(c *Config) string { return quoteList(c.Registry.Insecure, `["192.168.1.20:5000"]`) }},
	}},
	{"cache", "The team's binary cache: pulled from in every build, uploaded to after each successful one.", []referenceKey{
		{"url", "The cache builds substitute from.",
			func(c *Config) string { return quoteOr(c.Cache.URL, "https://cache.example.com") }},
		{"public_key", "Its signing key, NAME:BASE64, as `nixpass cache key` printed it.",
			func(c *Config) string {
				return quoteOr(c.Cache.PublicKey, "team-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=")
			}},
		{"upload", "Where successful builds are copied: file://, http(s)://, ssh://, ssh-ng:// or s3://.",
			func(c *Config) string { return quoteOr(c.Cache.Upload, "file:///srv/nix-cache") }},
		{"secret_key_file", "The key uploads are signed with (`nixpass cache key NAME` makes one).",
			func(c *Config) string { return quoteOr(c.Cache.SecretKeyFile, "/absolute/path/to/team-1.secret") }},
		{"include_build_deps", "Upload the build-time closure too, not only what the image needs.",
			func(c *Config) string { return strconv.FormatBool(c.Cache.IncludeBuildDeps) }},
	}},
}

// quoteOr quotes s, or shows example when s is empty (a default that is
// rendered commented out).
func quoteOr(s, example string) string {
	if s == "" {
		return quote(example)
	}
	return quote(s)
}

// Render writes c as a complete, commented config file: every key with a
// line saying what it does, commented out where c has this machine's
// default so that the file keeps following the machine, then c's
// projects. Parse reads the result back to c. It returns c's validation
// errors if c is not valid.
func Render(c *Config) ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("render config: %w", err)
	}
	def := Default()
	var b strings.Builder
	b.WriteString(fileHeader)
	for _, t := range reference {
		fmt.Fprintf(&b, "\n[%s]\n# %s\n", t.table, t.help)
		for _, k := range t.keys {
			v := k.value(c)
			prefix := ""
			if v == k.value(def) {
				prefix = "# "
			}
			fmt.Fprintf(&b, "\n# %s\n%s%s = %s\n", k.help, prefix, k.key, v)
		}
	}
	b.WriteString("\n" + projectsHelp)
	for _, p := range c.Projects {
		b.WriteString("\n" + renderProject(p))
	}
	out := []byte(b.String())
	// A rendering bug must not become a file nixpass cannot load.
	if _, err := Parse(bytes.NewReader(out), "rendered config"); err != nil {
		return nil, fmt.Errorf("render config: %w", err)
	}
	return out, nil
}

// renderProject writes p as a [[project]] table with the keys p sets.
func renderProject(p Project) string {
	var b strings.Builder
	b.WriteString("[[project]]\n")
	kv := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%s = %s\n", k, quote(v))
		}
	}
	kv("path", p.Path)
	kv("file", p.File)
	kv("flake", p.Flake)
	kv("attr", p.Attr)
	if len(p.Args) > 0 {
		b.WriteString("args = " + quoteList(p.Args, "") + "\n")
	}
	kv("output", p.Output)
	if p.Watch != nil {
		fmt.Fprintf(&b, "watch = %t\n", *p.Watch)
	}
	if p.DockerLoad {
		b.WriteString("docker_load = true\n")
	}
	kv("system", p.System)
	if len(p.Mounts) > 0 {
		b.WriteString("mounts = " + quoteList(p.Mounts, "") + "\n")
	}
	kv("push", p.Push)
	if len(p.Systems) > 0 {
		b.WriteString("systems = " + quoteList(p.Systems, "") + "\n")
	}
	return b.String()
}

// leftOut renders a size whose zero means "derived": zero renders as
// example, which the file then shows commented out.
func leftOut(s Size, example string) string {
	if s == 0 {
		return example
	}
	return quote(s.String())
}

// quoteList renders a list of strings; a nil list (left out) renders as
// example, which the file then shows commented out.
func quoteList(l []string, example string) string {
	if l == nil {
		return example + "  # example"
	}
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// quote renders s, which must be valid UTF-8, as a TOML basic string.
// TOML forbids raw control characters in strings, so they are escaped.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
