package core

import (
	"time"

	"nixpass/builder"
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
