package machine

import (
	"os"
	"strconv"
	"strings"
)

// Remote is what nixpass tells Nix about remote builders and binary
// caches ([builder] builders, builders_use_substitutes, max_jobs,
// substituters, trusted_public_keys). Nil fields leave Nix's own setting.
type Remote struct {
	// Builders are Nix machine lines.
	Builders []string
	// UseSubstitutes is builders-use-substitutes.
	UseSubstitutes *bool
	// MaxJobs is max-jobs: 0 builds only on the builders.
	MaxJobs *int
	// Substituters replace Nix's binary caches; nil keeps them.
	Substituters []string
	// TrustedPublicKeys are the caches' signing keys.
	TrustedPublicKeys []string
}

// Empty reports whether r changes nothing.
func (r Remote) Empty() bool { return len(r.Settings()) == 0 }

// Setting is one nix.conf setting.
type Setting struct{ Name, Value string }

// Settings are r as Nix settings, in nix.conf order.
func (r Remote) Settings() []Setting {
	var out []Setting
	if r.Builders != nil {
		// Nix separates machines with ';' or a newline; the config
		// forbids both inside a line.
		out = append(out, Setting{"builders", strings.Join(r.Builders, " ; ")})
	}
	if r.UseSubstitutes != nil {
		out = append(out, Setting{"builders-use-substitutes", strconv.FormatBool(*r.UseSubstitutes)})
	}
	if r.MaxJobs != nil {
		out = append(out, Setting{"max-jobs", strconv.Itoa(*r.MaxJobs)})
	}
	if r.Substituters != nil {
		out = append(out, Setting{"substituters", strings.Join(r.Substituters, " ")})
	}
	if r.TrustedPublicKeys != nil {
		out = append(out, Setting{"trusted-public-keys", strings.Join(r.TrustedPublicKeys, " ")})
	}
	return out
}

// Keys names the config keys r sets, for messages: "builders and max_jobs".
func (r Remote) Keys() string {
	var k []string
	for _, s := range r.Settings() {
		k = append(k, strings.ReplaceAll(s.Name, "-", "_"))
	}
	if len(k) > 1 {
		return strings.Join(k[:len(k)-1], ", ") + " and " + k[len(k)-1]
	}
	return strings.Join(k, "")
}

// NixConf renders r as nix.conf lines.
func (r Remote) NixConf() string {
	var b strings.Builder
	for _, s := range r.Settings() {
		b.WriteString(s.Name + " = " + s.Value + "\n")
	}
	return b.String()
}

// NixConfigEnv is the environment that hands settings to Nix: NIX_CONFIG
// (read by Nix 2.8 and later) with the settings appended to the value this
// process inherited, so ours win and the caller's stay. Settings such as a
// substituter with user:token@ never go on a command line, where every
// user sees them (ps, /proc/PID/cmdline); NIX_USER_CONF_FILES is not used,
// for it would replace the user's own nix.conf. Nil without settings.
func NixConfigEnv(settings []Setting) []string {
	if len(settings) == 0 {
		return nil
	}
	var b strings.Builder
	if v := os.Getenv("NIX_CONFIG"); v != "" {
		b.WriteString(v)
		if !strings.HasSuffix(v, "\n") {
			b.WriteByte('\n')
		}
	}
	for _, s := range settings {
		b.WriteString(s.Name + " = " + s.Value + "\n")
	}
	return []string{"NIX_CONFIG=" + b.String()}
}
