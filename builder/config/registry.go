package config

import (
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strings"

	"nixpass/builder/registry/ref"
)

// Registry is the [registry] table: how nixpass talks to the registries
// projects push to.
type Registry struct {
	// CAFiles are PEM files of certificate authorities trusted on top of
	// the system's, for registries with a company or self-signed CA.
	CAFiles []string `toml:"ca_files,omitempty"`
	// Insecure are registries, as "HOST:PORT", spoken to in plain HTTP.
	// Loopback registries (localhost, 127.0.0.1, ::1) always may be; any
	// other host gets HTTPS only.
	Insecure []string `toml:"insecure,omitempty"`
}

// problems lists the rules the [registry] table breaks.
func (r Registry) problems() []problem {
	var out []problem
	bad := func(key, format string, a ...any) {
		out = append(out, problem{w: where{table: "registry", key: key}, msg: fmt.Sprintf(format, a...)})
	}
	for i, f := range r.CAFiles {
		if !text(f) || !filepath.IsAbs(f) {
			bad("ca_files", "element %d, %q, must be the absolute path of a PEM file, e.g. \"/etc/ssl/company-ca.pem\"", i+1, f)
		}
	}
	for i, h := range r.Insecure {
		host, port, err := net.SplitHostPort(h)
		if err != nil || host == "" || port == "" || strings.ContainsAny(h, "/ ") {
			bad("insecure", "element %d, %q, must be a registry's HOST:PORT, e.g. \"192.168.1.20:5000\"", i+1, h)
		}
	}
	return out
}

// pushProblems lists the rules a project's push and systems keys break.
func (p Project) pushProblems(bad func(key, format string, a ...any) *problem) {
	if p.Push != "" {
		if _, err := ref.Parse(p.Push); err != nil {
			bad("push", "%v", err)
		}
	}
	if len(p.Systems) > 0 && p.System != "" {
		bad("systems", "set system or systems, not both: systems = [%q, %q] builds one image per system", Systems[0], Systems[1]).
			alt = []where{{table: "project", key: "system"}}
	}
	seen := map[string]bool{}
	for i, s := range p.Systems {
		switch {
		case !slices.Contains(Systems, s):
			bad("systems", "element %d, %q, is not a system nixpass builds for: use %q or %q", i+1, s, Systems[0], Systems[1])
		case seen[s]:
			bad("systems", "element %d, %q, is listed twice", i+1, s)
		}
		seen[s] = true
	}
}
