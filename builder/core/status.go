package core

import (
	"context"
	"time"

	"nixpass/builder"
	"nixpass/builder/machine"
)

// The app's view of the builder is kept without spawning Nix: after a
// build it comes from the build's outcome, and the periodic refresh runs
// only while the builder is not known good, or when no build or check
// has said so for statusStale.
const (
	statusEvery = 30 * time.Second
	statusStale = 15 * time.Minute
)

// statusDue says whether the periodic refresh should look at the builder.
func (a *App) statusDue() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	good := a.status.State == builder.BuilderRunning && a.status.Problem == ""
	return !good || time.Since(a.knownGood) > statusStale
}

// statusFromOutcome updates the builder's status from a finished build:
// a build that ran says the builder works; one that found it unavailable
// says why; a cancelled one says nothing.
func (a *App) statusFromOutcome(r builder.Result) {
	a.mu.Lock()
	st := a.status
	a.mu.Unlock()
	switch r.Kind {
	case builder.KindCancelled, builder.KindTimeout, builder.KindConfig:
		return
	case builder.KindUnavailable:
		st.State, st.Problem, st.Hint = builder.BuilderUnavailable, r.Message, r.Hint
	default:
		st.State, st.Problem, st.Hint = builder.BuilderRunning, "", ""
	}
	a.setStatus(st)
}

func (a *App) refreshStatus(ctx context.Context) {
	a.updateStatus(ctx)
	t := time.NewTicker(statusEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if a.statusDue() {
				a.probeStatus(ctx)
			}
		}
	}
}

// updateStatus asks the machine for its full state and publishes a change.
func (a *App) updateStatus(ctx context.Context) {
	a.setStatus(a.env.Machine.Status(ctx))
}

// probeStatus is the periodic refresh: the machine's cheap probe when it
// has one (machine.Prober), else its full status.
func (a *App) probeStatus(ctx context.Context) {
	if p, ok := a.env.Machine.(machine.Prober); ok {
		a.setStatus(p.Probe(ctx))
		return
	}
	a.updateStatus(ctx)
}

// setStatus records st and publishes it when it changed.
func (a *App) setStatus(st builder.BuilderStatus) {
	a.mu.Lock()
	changed := st != a.status
	if st.State == builder.BuilderRunning && st.Problem == "" {
		a.knownGood = time.Now()
	}
	a.mu.Unlock()
	if changed {
		a.internal.Publish(builder.BuilderChanged{At: builder.At{Time: time.Now()}, Status: st})
	}
}
