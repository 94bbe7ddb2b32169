package build

import (
	"context"
	"os"

	"nixpass/builder"
	"nixpass/builder/machine"
)

// BuildIfUpToDate is Build for a caller that can finish only a no-op:
// the CLI's lean front (app/fast), which links no registry, VM or cache
// code and hands every other build to the full nixpass. It runs p exactly
// as Build does while p is up to date and asks nothing of Pusher or
// Cache (its image already pushed to its ref, if any). Otherwise it
// stops where Build would take the builder lock, and res is nil: nothing
// is recorded, its log and running marker are removed, and stale says
// whether Nix found p out of date (the full build may then skip that
// question: SkipUpToDate).
func (b *Builder) BuildIfUpToDate(ctx context.Context, p builder.Project) (res *builder.Result, stale bool) {
	p = b.primary(p)
	if _, ok := b.Machine.(machine.Realiser); !ok || len(b.otherSystems(p)) > 0 {
		return nil, false
	}
	g := b.storeGood(p.Dir)
	if g == nil || g.StorePath == "" {
		// Never built, or its image file is gone: a real build, which
		// asks Nix nothing before it.
		return nil, false
	}
	if _, pushed := g.Pushed[p.Push]; p.Push != "" && !pushed {
		return nil, false
	}
	r := b.newRun(ctx, p)
	r.onlyUpToDate = true
	good := r.execute(ctx)
	if r.abandoned {
		return nil, r.stale
	}
	return r.finish(good), false
}

// abandon ends a run of BuildIfUpToDate that found p not up to date,
// leaving nothing behind: its log and running marker are removed.
func (r *run) abandon(stale bool) {
	r.abandoned, r.stale = true, stale
	if r.log != nil {
		_ = r.log.Close()
		_ = os.Remove(r.log.Name())
	}
	if r.b.Store != nil {
		r.b.Store.EndBuild(r.token, r.marker)
	}
}
