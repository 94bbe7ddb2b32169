package builder

import (
	"os"
	"strings"
)

// nixConfigEnv is the environment that hands settings to Nix: NIX_CONFIG
// (read by Nix 2.8 and later) with the settings appended to the value this
// process inherited, so ours win and the caller's stay. Settings such as a
// substituter with user:token@ never go on a command line, where every
// user sees them (ps, /proc/PID/cmdline); NIX_USER_CONF_FILES is not used,
// for it would replace the user's own nix.conf. Nil without settings.
func nixConfigEnv(settings []setting) []string {
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
		b.WriteString(s.name + " = " + s.value + "\n")
	}
	return []string{"NIX_CONFIG=" + b.String()}
}
