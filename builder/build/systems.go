package build

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"time"

	"nixpass/builder"
	"nixpass/builder/machine"
	"nixpass/builder/shq"
	"nixpass/builder/store"
)

// A project with systems = [...] gets one image per system from one build
// request: the builder's own system first, into the project's file (the
// one Docker loads), then each other system through emulation, into the
// state folder. Every system's attempts run under the one builder lock;
// the post-build steps run once, after the last system, and the push
// writes a Docker manifest list of all the images under one tag.

// ownSystem is the builder's own Nix system.
func (b *Builder) ownSystem() string {
	if b.System != "" {
		return b.System
	}
	switch runtime.GOARCH {
	case "arm64":
		return "aarch64-linux"
	default:
		return "x86_64-linux"
	}
}

// primary is the request a build of p runs first: p itself, for the
// builder's own system; for a project whose systems leave that one out,
// its first system.
func (b *Builder) primary(p builder.Project) builder.Project {
	if len(p.Systems) > 1 && p.System == "" && !slices.Contains(p.Systems, b.ownSystem()) {
		p.System = p.Systems[0]
	}
	return p
}

// otherSystems are the systems of p built after its primary one, in the
// project's order; nil for a project of one system.
func (b *Builder) otherSystems(p builder.Project) []string {
	if len(p.Systems) < 2 {
		return nil
	}
	first := p.System
	if first == "" {
		first = b.ownSystem()
	}
	var out []string
	for _, s := range p.Systems {
		if s != first {
			out = append(out, s)
		}
	}
	return out
}

// otherSystems are the systems this run builds after its own.
func (r *run) otherSystems() []string {
	if r.system != "" {
		return nil
	}
	return r.b.otherSystems(r.p)
}

// lastGood is this run's last good image while its file is intact: the
// project's, or, for another system's run, that system's.
func (r *run) lastGood() *store.GoodOutput {
	if r.system == "" {
		return r.b.storeGood(r.p.Dir)
	}
	if r.b.Store == nil {
		return nil
	}
	if g, ok := r.b.Store.SystemImages(r.p.Dir, []string{r.system})[r.system]; ok {
		return &g
	}
	return nil
}

// scriptArgs are the build script's arguments for this run, before the
// roots and free-space ones.
func (r *run) scriptArgs() []string {
	p := r.p
	args := []string{"build", "--token", r.token, "--dir", r.guestDir, "--output", p.Output}
	if g := r.lastGood(); g != nil && g.Output == r.res.Output {
		args = append(args, "--last", g.StorePath)
		if r.system != "" {
			// The file is in the host's state folder, out of the
			// builder's reach: its size stands in for it.
			args = append(args, "--last-size", strconv.FormatInt(g.Size, 10))
		}
	}
	args = append(args, machine.SourceArgs(p)...)
	return append(args, r.alsoArgs()...)
}

// child is the run of system's image, within this run: the same log,
// token, marker and guest folder, its own result, whose attempts and
// warnings the parent takes over.
func (r *run) child(system string) *run {
	p := r.p
	p.System, p.Systems = system, nil
	now := time.Now()
	return &run{b: r.b, p: p, system: system, log: r.log, token: r.token, guestDir: r.guestDir, marker: r.marker,
		started: now, progress: r.progress,
		res: &builder.Result{Project: p.Dir, Status: builder.StatusFailed, Log: r.res.Log, Started: now,
			Output: r.b.Store.SystemImagePath(p.Dir, system, p.Output), Reason: r.res.Reason, Attempts: []builder.Attempt{}}}
}

// systemsUpToDate decides, before the builder lock, whether every other
// system's image is up to date too (the primary one is): then the build
// takes no lock at all. The runs that found so are kept for succeed.
func (r *run) systemsUpToDate(ctx context.Context) bool {
	others := r.otherSystems()
	if len(others) == 0 {
		return true
	}
	if r.b.Store == nil {
		return false
	}
	r.ready = nil
	for _, sys := range others {
		c := r.child(sys)
		if !c.upToDate(ctx) {
			r.ready = nil
			return false
		}
		r.ready = append(r.ready, c)
	}
	return true
}

// buildSystems builds (or finds up to date) the other systems' images of
// a project whose primary image good was just put in place, one after
// the other, and adds them to good; a system the primary run's script
// already found up to date (systemcheck.go) runs no script of its own.
// The first system that fails ends it with that failure's kind, naming
// the system. The builder lock is held, unless every system was found up
// to date before it (systemsUpToDate).
func (r *run) buildSystems(ctx context.Context, good *store.GoodOutput) error {
	if r.b.Store == nil {
		return &builder.Error{Kind: builder.KindConfig, Message: "systems = [...] keeps the other systems' images in the state folder, and this build has none",
			Hint: "this is a nixpass bug: please report it"}
	}
	own := r.p.System
	if own == "" {
		own = r.b.ownSystem()
	}
	for i := range r.res.Attempts {
		r.res.Attempts[i].System = own
	}
	good.Systems = map[string]store.GoodOutput{}
	for i, sys := range r.otherSystems() {
		var c *run
		var g *store.GoodOutput
		if i < len(r.ready) && r.ready[i].system == sys {
			c = r.ready[i]
			g = c.succeed(ctx)
		} else if c = r.checkedUpToDate(sys); c != nil {
			g = c.succeed(ctx)
		} else {
			c = r.child(sys)
			r.logLine("# nixpass: building the image for " + sys)
			r.b.emit(builder.BuildPhase{At: builder.At{Time: time.Now()}, Project: r.p.Dir, Phase: "building", Detail: "the image for " + sys})
			heal, _ := c.healArgs()
			g = c.attempts(ctx, append(c.scriptArgs(), heal...), nil, c.progress)
			c.removeTemp()
		}
		for _, a := range c.res.Attempts {
			a.System = sys
			r.res.Attempts = append(r.res.Attempts, a)
		}
		if c.res.Warning != "" {
			r.addWarning(sys + ": " + c.res.Warning)
		}
		if g == nil {
			return &builder.Error{Kind: c.res.Kind, Message: "the image for " + sys + ": " + c.res.Message, Hint: c.res.Hint, Action: c.res.Action}
		}
		good.Systems[sys] = *g
		r.res.UpToDate = r.res.UpToDate && c.res.UpToDate
		if c.res.UpToDate {
			r.res.Message += "; " + sys + ": up to date"
		} else {
			r.res.Message += fmt.Sprintf("; %s: built (%s)", sys, builder.HumanBytes(c.res.Bytes))
		}
	}
	return nil
}

// dropOldSystems removes the kept images of systems the project no
// longer builds (systems = [...] shortened or removed), once a build
// without them succeeded: nothing would push them again. Their roots
// stay until the project is removed.
func (r *run) dropOldSystems(good *store.GoodOutput) {
	if r.b.Store == nil {
		return
	}
	prev := r.b.Store.LastGood(r.p.Dir)
	if prev == nil {
		return
	}
	for sys, img := range prev.Systems {
		if _, ok := good.Systems[sys]; !ok && img.Output == r.b.Store.SystemImagePath(r.p.Dir, sys, r.p.Output) {
			_ = os.Remove(img.Output)
		}
	}
}

// pushFiles are the image files a push of good sends, the primary first:
// one, or one per system for a project with systems = [...]. A system
// without its image (never built, or its file changed since) is a config
// error saying to build first.
func (b *Builder) pushFiles(p builder.Project, good *store.GoodOutput) ([]string, error) {
	files := []string{good.Output}
	others := b.otherSystems(p)
	if len(others) == 0 {
		return files, nil
	}
	for _, sys := range others {
		img, ok := good.Systems[sys]
		if !ok || !img.Intact() {
			return nil, &builder.Error{Kind: builder.KindConfig,
				Message: fmt.Sprintf("%s has no good image for %s to push: build first", p.Dir, sys),
				Hint:    "Run `" + shq.Join("nixpass", "build", p.Dir) + "` first: it builds the image of every system in systems."}
		}
		files = append(files, img.Output)
	}
	return files, nil
}

// sameSystems reports whether a and b hold the same store path for every
// system: a push of one is a push of the other.
func sameSystems(a, b map[string]store.GoodOutput) bool {
	if len(a) != len(b) {
		return false
	}
	for sys, g := range a {
		if h, ok := b[sys]; !ok || h.StorePath != g.StorePath {
			return false
		}
	}
	return true
}
