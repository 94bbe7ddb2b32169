package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"nixpass/builder"
	"nixpass/builder/store"
)

// joinPoll is how often a joined build is looked at.
const joinPoll = 200 * time.Millisecond

// joinable is the running build of req by another nixpass (the app, say,
// which builds a project as soon as it is added) that this build can join
// instead of building it a second time: the same request, started after
// the project's Nix files last changed, so it builds the same derivation.
func joinable(s *store.Store, req builder.Project) (store.RunningMarker, bool) {
	if s == nil {
		return store.RunningMarker{}, false
	}
	key := req.RequestKey()
	for _, m := range s.Running(req.Dir) {
		if m.PID != os.Getpid() && m.Request == key && !changedSince(req, m.Started) {
			return m, true
		}
	}
	return store.RunningMarker{}, false
}

// changedSince reports whether the files that name the derivation (the
// Nix file, or a local flake's flake.nix and flake.lock) changed at or
// after t; a build that started earlier may have read the old ones.
func changedSince(req builder.Project, t time.Time) bool {
	files := []string{filepath.Join(req.Dir, req.File)}
	if req.Flake != "" {
		files = []string{filepath.Join(req.Dir, "flake.nix"), filepath.Join(req.Dir, "flake.lock")}
	}
	for _, f := range files {
		if st, err := os.Stat(f); err == nil && !st.ModTime().Before(t) {
			return true
		}
	}
	return false
}

// join waits for the running build m of req to end and returns its
// result, following a restart of the same request (the app's scheduler
// cancels and starts again); nil when the build ended without a result of
// its own (it was cancelled and nothing took over, as when the app quits),
// and this nixpass should build by itself. The joined build's log goes to
// log as it grows.
func join(ctx context.Context, s *store.Store, req builder.Project, m store.RunningMarker, log io.Writer) *builder.Result {
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
		next, ok := joinable(s, req)
		if !ok {
			return nil
		}
		fmt.Fprintf(log, "nixpass: the build was restarted (pid %d); following it\n", next.PID)
		m = next
	}
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
		running := false
		for _, r := range s.Running(m.Project) {
			if r.Token == m.Token {
				running = true
			}
		}
		if !running {
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
