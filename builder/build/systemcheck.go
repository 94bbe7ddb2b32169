package build

import (
	"strconv"
	"strings"

	"nixpass/builder/lazyre"
	"nixpass/builder/machine"
	"nixpass/builder/store"
)

// A no-op of a project with systems = [...] is one script run (the no-op
// budget: in the VM, no extra Multipass call per system). The primary run
// is told each other system's last image (--also); when its own output is
// up to date, the script asks Nix, in that same run and without building,
// whether each of theirs is too, and says so (system-check lines).
// buildSystems then runs the script again only for the systems not found
// up to date. The local backend decides all of this before the builder
// lock (systemsUpToDate) and keeps doing so.

// systemCheck is what the script said about another system's output.
type systemCheck struct {
	// verdict is "up-to-date", "changed" or "unknown".
	verdict   string
	storePath string
}

// alsoSafe are the values the script takes in --also (it splits its list
// of them on blanks); a system or store path outside them is left to
// that system's own run.
var (
	alsoSystem    = lazyre.New(`^[0-9a-z_-]+$`)
	alsoStorePath = lazyre.New(`^/[0-9A-Za-z+._/=?-]+$`)
)

// alsoArgs are the primary run's --also arguments: SYSTEM LAST SIZE
// ROOTNAME for each other system whose last image nixpass still keeps
// intact; a system without one has to be built anyway. A machine that
// asks Nix directly (machine.Realiser: the local backend) has already
// checked them before the builder lock and gets none: its script runs
// only when that check found something to build.
func (r *run) alsoArgs() []string {
	if r.system != "" || r.b.Store == nil {
		return nil
	}
	if _, ok := r.b.Machine.(machine.Realiser); ok {
		return nil
	}
	others := r.otherSystems()
	if len(others) == 0 {
		return nil
	}
	kept := r.b.Store.SystemImages(r.p.Dir, others)
	var args []string
	for _, sys := range others {
		g, ok := kept[sys]
		if !ok || g.Output != r.b.Store.SystemImagePath(r.p.Dir, sys, r.p.Output) ||
			!alsoSystem.MatchString(sys) || !alsoStorePath.MatchString(g.StorePath) {
			continue
		}
		args = append(args, "--also", sys, g.StorePath, strconv.FormatInt(g.Size, 10), store.RootName(r.p.Dir, sys))
	}
	return args
}

// systemChecks are the script's verdicts on the other systems, by system.
type systemChecks map[string]systemCheck

// line records a system-check protocol line: SYSTEM VERDICT STOREPATH.
func (c *systemChecks) line(val string) {
	f := strings.Fields(val)
	if len(f) != 3 {
		return
	}
	if *c == nil {
		*c = systemChecks{}
	}
	(*c)[f[0]] = systemCheck{verdict: f[1], storePath: f[2]}
}

// checkedUpToDate is the run of system sys found up to date by this
// run's script (its system-check said so, for the very store path of
// the image nixpass keeps), ready for succeed; nil when sys needs a run
// of its own.
func (r *run) checkedUpToDate(sys string) *run {
	r.mu.Lock()
	chk, ok := r.report.systems[sys]
	r.mu.Unlock()
	if !ok || chk.verdict != "up-to-date" {
		return nil
	}
	c := r.child(sys)
	g := c.lastGood()
	if g == nil || g.Output != c.res.Output || g.StorePath != chk.storePath {
		return nil
	}
	c.report.storePath, c.report.upToDate = chk.storePath, true
	return c
}
