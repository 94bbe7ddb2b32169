package build

import (
	"strings"

	"nixpass/builder"
	"nixpass/builder/diagnose"
	"nixpass/builder/lazyre"
)

// reBuildingOn is Nix's line for a derivation sent to a remote builder:
// "building '/nix/store/x.drv' on 'ssh-ng://bigbox'..." (2.8 to 2.34).
// reBuilding is Nix's line for a derivation it starts building.
var reBuilding = lazyre.New(`^building '([^']+)'`)

var reBuildingOn = lazyre.New(`^building '([^']+)' on '([^']+)'`)

// builtOn follows Nix's "building" lines to tell where each derivation
// was built. The remote builder's own "building '…'..." line for a
// derivation already sent to it comes after the "on" line, so the first
// line about a derivation decides.
type builtOn struct {
	where map[string]string
	last  string
}

func (b *builtOn) line(l string) {
	drv, machine := "", builder.BuiltLocal
	if m := reBuildingOn.FindStringSubmatch(l); m != nil {
		drv, machine = m[1], m[2]
	} else if m := reBuilding.FindStringSubmatch(l); m != nil {
		drv = m[1]
	} else {
		return
	}
	if b.where == nil {
		b.where = map[string]string{}
	}
	if _, seen := b.where[drv]; seen {
		return
	}
	b.where[drv] = machine
	b.last = drv
}

// machine is where the last derivation (the image, which depends on the
// others) was built, or "" when nothing was built.
func (b *builtOn) machine() string { return b.where[b.last] }

// fallbackWarning says which remote builders Nix skipped during a build
// that succeeded, or "" when it skipped none.
func fallbackWarning(nixLog, builtOn string) string {
	attempts := diagnose.RemoteAttempts(nixLog)
	if len(attempts) == 0 {
		return ""
	}
	var parts []string
	for _, a := range attempts {
		parts = append(parts, "the remote builder "+a.URI+" "+diagnose.RemoteVerdict(a.Cause)+" ("+a.Cause+")")
	}
	w := strings.Join(parts, "; ")
	if builtOn == builder.BuiltLocal {
		w += ": built on this machine instead"
	}
	return w
}
