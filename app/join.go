package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"nixpass/builder"
	"nixpass/builder/clean"
	"nixpass/builder/store"
)

// joinPoll is how often a joined build is looked at.
const joinPoll = 200 * time.Millisecond

// evaluator says which derivations a project evaluates to now, read-only
// (build.Builder.Derivation).
type evaluator interface {
	// Derivation evaluates p read-only; ok is false when it cannot say.
	Derivation(ctx context.Context, p builder.Project) (drv string, ok bool)
}

// joinable is the running build of req by another nixpass (the app, say,
// which builds a project as soon as it is added) that this build can join
// instead of building it a second time: the same request, building the
// same derivations as req evaluates to now. A file changed after that
// build evaluated (an import, the flake's lock) gives other derivations,
// which that build does not build: those are built here.
//
// req is evaluated only when such a build runs (the no-op budget). A
// build still evaluating has said nothing yet: joinable waits for it as
// long as it runs, since building here would queue behind it on the
// builder lock and evaluate the same files a second time; say tells the
// user why this build waits.
func joinable(ctx context.Context, s *store.Store, d evaluator, req builder.Project, say io.Writer) (store.RunningMarker, bool) {
	cands := sameRequest(s, req)
	if len(cands) == 0 {
		return store.RunningMarker{}, false
	}
	drv, ok := d.Derivation(ctx, req)
	if !ok {
		return store.RunningMarker{}, false
	}
	// The newest first: a restart replaces the older one.
	for _, m := range slices.Backward(cands) {
		m, ok := evaluated(ctx, s, m, say)
		switch {
		case ok && m.Drv == drv:
			return m, true
		case ok:
			fmt.Fprintf(say, "nixpass: the running build of %s (pid %d) builds other derivations than its files give now (they changed after it evaluated them): building here\n",
				clean.Line(req.Dir), m.PID)
		case ctx.Err() == nil:
			fmt.Fprintf(say, "nixpass: the running build of %s (pid %d) ended before it said what it builds: building here\n",
				clean.Line(req.Dir), m.PID)
		}
	}
	return store.RunningMarker{}, false
}

// sameRequest lists the running builds of req by other nixpass
// processes, oldest first. It only reads the running markers.
func sameRequest(s *store.Store, req builder.Project) []store.RunningMarker {
	if s == nil {
		return nil
	}
	return s.RunningRequest(req.Dir, req.RequestKey())
}

// evaluated is m once its build has said what it builds; ok is false
// when it ended before (an up-to-date check, a failed evaluation, an
// older nixpass that does not say) or ctx ended.
func evaluated(ctx context.Context, s *store.Store, m store.RunningMarker, say io.Writer) (store.RunningMarker, bool) {
	for said := false; ; said = true {
		cur, ok := runningByToken(s, m)
		if !ok {
			return m, false
		}
		if cur.Drv != "" {
			return cur, true
		}
		if !said {
			fmt.Fprintf(say, "nixpass: %s is being evaluated by another build (pid %d): waiting for it, to join it if it builds the same\n",
				clean.Line(m.Project), m.PID)
		}
		select {
		case <-ctx.Done():
			return m, false
		case <-time.After(joinPoll):
		}
	}
}

// runningByToken is m's marker as it is now, while its build runs.
func runningByToken(s *store.Store, m store.RunningMarker) (store.RunningMarker, bool) {
	for _, r := range s.Running(m.Project) {
		if r.Token == m.Token {
			return r, true
		}
	}
	return m, false
}

// join waits for the running build m of req to end and returns its
// result, following a restart of the same request that builds what req
// evaluates to (the app's scheduler cancels and starts again); nil when
// the build ended without a result of its own (it was cancelled and
// nothing took over, as when the app quits), and this nixpass should
// build by itself. The joined build's log goes to log as it grows.
func join(ctx context.Context, s *store.Store, d evaluator, req builder.Project, m store.RunningMarker, log io.Writer) *builder.Result {
	for {
		followLog(ctx, s, m, log)
		if ctx.Err() != nil {
			return nil
		}
		last, _ := s.Last(req.Dir)
		if last != nil && !last.Started.Before(m.Started) && last.Kind != builder.KindCancelled {
			return last
		}
		// Cancelled or gone: a restart of the same request is followed;
		// otherwise build by itself.
		if !restarting(ctx, s, req) {
			return nil
		}
		next, ok := joinable(ctx, s, d, req, log)
		if !ok {
			return nil
		}
		fmt.Fprintf(log, "nixpass: the build was restarted (pid %d); following it\n", next.PID)
		m = next
	}
}

// restartGrace is how long a cancelled build's restart may take to show:
// the app's scheduler starts it as soon as the cancelled one has been
// recorded, and its marker comes a moment later.
const restartGrace = time.Second

// restarting reports whether a build of req by another nixpass runs, or
// starts within restartGrace.
func restarting(ctx context.Context, s *store.Store, req builder.Project) bool {
	deadline := time.Now().Add(restartGrace)
	for len(sameRequest(s, req)) == 0 {
		if time.Now().After(deadline) {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(joinPoll / 4):
		}
	}
	return true
}

// followLog copies m's log to w while m runs.
func followLog(ctx context.Context, s *store.Store, m store.RunningMarker, w io.Writer) {
	var f *os.File
	if m.Log != "" {
		f, _ = os.Open(m.Log)
	}
	if f != nil {
		defer f.Close()
	}
	for {
		if f != nil {
			_, _ = io.Copy(w, f)
		}
		if _, running := runningByToken(s, m); !running {
			if f != nil {
				_, _ = io.Copy(w, f)
			}
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(joinPoll):
		}
	}
}
