package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"nixpass/builder"
	"nixpass/builder/store"
)

// fakeEval is an evaluator that gives drv (ok unless drv is "").
type fakeEval struct {
	drv   string
	calls atomic.Int32
}

func (f *fakeEval) Derivation(context.Context, builder.Project) (string, bool) {
	f.calls.Add(1)
	return f.drv, f.drv != ""
}

// TestJoinable: a running build of the same request is joined only when
// it builds what the project evaluates to now; the project is evaluated
// only when such a build runs; a build still evaluating is waited for.
func TestJoinable(t *testing.T) {
	const a, b = "/nix/store/aaa-img.drv", "/nix/store/bbb-img.drv"
	tests := []struct {
		name string
		// running: a build of the project runs (of another request with
		// other); it notes drv at once, or after noteAfter, or ends after
		// endAfter without noting one.
		other     bool
		running   bool
		drv       string
		noteAfter time.Duration
		endAfter  time.Duration
		// eval is what the project evaluates to now ("" fails).
		eval      string
		wantJoin  bool
		wantCalls int32
		wantSaid  string
	}{
		{name: "nothing runs: no evaluation", wantCalls: 0},
		{name: "another request: no evaluation", running: true, other: true, drv: a, eval: a, wantCalls: 0},
		{name: "same derivation", running: true, drv: a, eval: a, wantJoin: true, wantCalls: 1},
		{name: "files changed after it evaluated", running: true, drv: a, eval: b, wantCalls: 1, wantSaid: "builds other derivations"},
		{name: "own evaluation fails", running: true, drv: a, eval: "", wantCalls: 1},
		{name: "still evaluating, then the same", running: true, noteAfter: 600 * time.Millisecond, drv: a, eval: a, wantJoin: true, wantCalls: 1, wantSaid: "waiting for it"},
		{name: "ends before it evaluated", running: true, endAfter: 600 * time.Millisecond, eval: a, wantCalls: 1, wantSaid: "ended before it said what it builds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &store.Store{StateDir: t.TempDir(), LogDir: t.TempDir()}
			dir := t.TempDir()
			req := builder.Project{Dir: dir, File: "default.nix", Output: "result.tar.gz"}
			if tt.running {
				other := req
				if tt.other {
					other.Attr = "other"
				}
				m := store.RunningMarker{Token: "tok" + strings.ReplaceAll(tt.name, " ", ""), Project: dir, Output: filepath.Join(dir, req.Output),
					Started: time.Now(), PID: 1, Request: other.RequestKey()}
				m.Token = m.Token[:min(len(m.Token), 20)]
				l, err := s.BeginBuild(m)
				if err != nil {
					t.Fatal(err)
				}
				defer s.EndBuild(m.Token, l)
				switch {
				case tt.noteAfter > 0:
					time.AfterFunc(tt.noteAfter, func() { _ = s.NoteDerivation(m.Token, tt.drv) })
				case tt.endAfter > 0:
					time.AfterFunc(tt.endAfter, func() { s.EndBuild(m.Token, l) })
				case tt.drv != "":
					_ = s.NoteDerivation(m.Token, tt.drv)
				}
			}
			ev := &fakeEval{drv: tt.eval}
			var said bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, ok := joinable(ctx, s, ev, req, &said)
			if ok != tt.wantJoin || ev.calls.Load() != tt.wantCalls {
				t.Errorf("joinable = %v after %d evaluations, want %v after %d", ok, ev.calls.Load(), tt.wantJoin, tt.wantCalls)
			}
			if tt.wantSaid != "" && !strings.Contains(said.String(), tt.wantSaid) {
				t.Errorf("said %q, want %q in it", said.String(), tt.wantSaid)
			}
			if ctx.Err() != nil {
				t.Error("joinable waited until the test's deadline")
			}
		})
	}
}

// TestJoinFollowsARestart: the joined build cancelled and started again
// by the app's scheduler (its marker a moment later) is followed, and its
// result is the joiner's; cancelled with nothing after it (the app quit),
// the joiner builds by itself.
func TestJoinFollowsARestart(t *testing.T) {
	const drv = "/nix/store/aaa-img.drv"
	for _, restart := range []bool{true, false} {
		t.Run(fmt.Sprintf("restart=%v", restart), func(t *testing.T) {
			s := &store.Store{StateDir: t.TempDir(), LogDir: t.TempDir()}
			dir := t.TempDir()
			req := builder.Project{Dir: dir, File: "default.nix", Output: "result.tar.gz"}
			begin := func(token string) (store.RunningMarker, *store.Lock) {
				m := store.RunningMarker{Token: token, Project: dir, Output: filepath.Join(dir, req.Output), Started: time.Now(), PID: 1, Request: req.RequestKey()}
				l, err := s.BeginBuild(m)
				if err != nil {
					t.Fatal(err)
				}
				_ = s.NoteDerivation(token, drv)
				return m, l
			}
			end := func(m store.RunningMarker, l *store.Lock, kind builder.Kind) {
				res := &builder.Result{Project: dir, Kind: kind, Started: m.Started, Finished: time.Now(), Status: builder.StatusFailed}
				if kind == builder.KindOK {
					res.Status = builder.StatusSucceeded
				}
				if err := s.Record(res, nil); err != nil {
					t.Error(err)
				}
				s.EndBuild(m.Token, l)
			}
			first, l1 := begin("first")
			go func() {
				time.Sleep(400 * time.Millisecond)
				end(first, l1, builder.KindCancelled)
				if !restart {
					return
				}
				time.Sleep(500 * time.Millisecond) // the scheduler starting it again, slowly
				second, l2 := begin("second")
				time.Sleep(400 * time.Millisecond)
				end(second, l2, builder.KindOK)
			}()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var log bytes.Buffer
			res := join(ctx, s, &fakeEval{drv: drv}, req, first, &log)
			switch {
			case restart && (res == nil || res.Kind != builder.KindOK):
				t.Errorf("restart not followed: %+v\n%s", res, log.String())
			case restart && !strings.Contains(log.String(), "following it"):
				t.Errorf("the restart was not said: %s", log.String())
			case !restart && res != nil:
				t.Errorf("nothing restarted, yet join returned %+v", res)
			}
		})
	}
}
