package cache

import (
	"fmt"
	"os/user"
	"slices"
	"strings"

	"nixpass/builder"
)

// Setting is one Nix setting: Name = Value, as a nix.conf line or an
// --option pair.
type Setting struct{ Name, Value string }

// Line is the setting as a nix.conf (or NIX_CONFIG) line.
func (s Setting) Line() string { return s.Name + " = " + s.Value }

// ConnectTimeout is the seconds Nix waits to connect to a cache: a cache
// that is down (a laptop off the VPN) then costs one short wait per
// build instead of curl's default of minutes.
const ConnectTimeout = 5

// Pull is what nixpass's own builds need to substitute from a team cache.
type Pull struct {
	// URL is [cache] url; PublicKey is [cache] public_key.
	URL, PublicKey string
}

// Settings are the Nix settings that pull from the cache: it is added to
// the substituters, its key to the trusted keys; negative lookups are
// not cached (a path looked up before a colleague uploaded it is fetched
// as soon as it is there, not an hour later), and connecting gives up
// after ConnectTimeout seconds. nil when no cache is configured.
func (p Pull) Settings() []Setting {
	if p.URL == "" {
		return nil
	}
	out := []Setting{{"extra-substituters", p.URL}}
	if p.PublicKey != "" {
		out = append(out, Setting{"extra-trusted-public-keys", p.PublicKey})
	}
	return append(out,
		Setting{"narinfo-cache-negative-ttl", "0"},
		Setting{"connect-timeout", fmt.Sprint(ConnectTimeout)})
}

// DaemonSettings are the settings of Settings that nix-daemon takes from
// a user it does not trust; the rest it ignores, each with a warning.
func (p Pull) DaemonSettings() []Setting {
	var out []Setting
	for _, s := range p.Settings() {
		if s.Name == "connect-timeout" {
			out = append(out, s)
		}
	}
	return out
}

// Daemon is what nix-daemon's configuration says about who may choose
// substituters: Nix's merged configuration, as `nix show-config` prints
// it, is enough.
type Daemon struct {
	// Conf maps setting names to values.
	Conf map[string]string
}

// Warning says what a user who builds through nix-daemon must add to the
// daemon's nix.conf for the cache to be used, or "" when nothing is
// missing: a trusted user (by name, "*" or "@group") passes its own
// settings; an untrusted one gets the cache only when the daemon already
// lists it in substituters or trusted-substituters and trusts its key.
// Never an error: the build works without the cache, only slower.
func (p Pull) Warning(d Daemon, u *user.User) string {
	if p.URL == "" || builder.TrustedUser(u, strings.Fields(d.Conf["trusted-users"])) {
		return ""
	}
	var need []string
	subs := append(strings.Fields(d.Conf["substituters"]), strings.Fields(d.Conf["trusted-substituters"])...)
	subs = append(subs, strings.Fields(d.Conf["extra-substituters"])...)
	if !slices.Contains(subs, p.URL) && !slices.Contains(subs, strings.TrimSuffix(p.URL, "/")) {
		need = append(need, "extra-substituters = "+p.URL)
	}
	if p.PublicKey != "" && !slices.Contains(strings.Fields(d.Conf["trusted-public-keys"]), p.PublicKey) {
		need = append(need, "extra-trusted-public-keys = "+p.PublicKey)
	}
	if len(need) == 0 {
		return ""
	}
	return fmt.Sprintf("nix-daemon ignores the cache %s for %s, who is not one of its trusted-users, so this build did not use it (ignoring untrusted substituter); add to the daemon's /etc/nix/nix.conf and restart nix-daemon:\n    %s",
		PublicURL(p.URL), u.Username, strings.Join(need, "\n    "))
}

// Ignored reports whether a build's output shows nix-daemon ignoring a
// substituter this user passed: the evidence behind Warning, when a
// check beforehand was not possible.
func Ignored(output string) bool {
	return strings.Contains(output, "ignoring untrusted substituter")
}
