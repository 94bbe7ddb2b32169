package builder

import (
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
func (r Remote) Empty() bool { return len(r.settings()) == 0 }

// setting is one nix.conf setting.
type setting struct{ name, value string }

// settings are r as Nix settings, in nix.conf order.
func (r Remote) settings() []setting {
	var out []setting
	if r.Builders != nil {
		// Nix separates machines with ';' or a newline; the config
		// forbids both inside a line.
		out = append(out, setting{"builders", strings.Join(r.Builders, " ; ")})
	}
	if r.UseSubstitutes != nil {
		out = append(out, setting{"builders-use-substitutes", strconv.FormatBool(*r.UseSubstitutes)})
	}
	if r.MaxJobs != nil {
		out = append(out, setting{"max-jobs", strconv.Itoa(*r.MaxJobs)})
	}
	if r.Substituters != nil {
		out = append(out, setting{"substituters", strings.Join(r.Substituters, " ")})
	}
	if r.TrustedPublicKeys != nil {
		out = append(out, setting{"trusted-public-keys", strings.Join(r.TrustedPublicKeys, " ")})
	}
	return out
}

// keys names the config keys r sets, for messages: "builders and max_jobs".
func (r Remote) keys() string {
	var k []string
	for _, s := range r.settings() {
		k = append(k, strings.ReplaceAll(s.name, "-", "_"))
	}
	if len(k) > 1 {
		return strings.Join(k[:len(k)-1], ", ") + " and " + k[len(k)-1]
	}
	return strings.Join(k, "")
}

// NixConf renders r as nix.conf lines.
func (r Remote) NixConf() string {
	var b strings.Builder
	for _, s := range r.settings() {
		b.WriteString(s.name + " = " + s.value + "\n")
	}
	return b.String()
}

// nixOptioner is a Machine that passes settings to Nix in NIX_CONFIG
// (the local backend: nixConfigEnv); the VM writes them into its daemon's
// nix.conf instead.
type nixOptioner interface {
	nixOptions() []setting
}
