package scheduler

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"nixpass/builder"
)

// fakeBuilder records builds; each waits until released or cancelled.
type fakeBuilder struct {
	mu      sync.Mutex
	started []string
	reasons []string
	results []builder.Kind
	release chan struct{}
}

func (f *fakeBuilder) Build(ctx context.Context, p builder.Project) *builder.Result {
	f.mu.Lock()
	f.started = append(f.started, p.Dir)
	f.reasons = append(f.reasons, builder.ReasonOf(ctx))
	f.mu.Unlock()
	kind := builder.KindOK
	select {
	case <-f.release:
	case <-ctx.Done():
		kind = builder.KindCancelled
	}
	f.mu.Lock()
	f.results = append(f.results, kind)
	f.mu.Unlock()
	return &builder.Result{Project: p.Dir, Kind: kind}
}

func (f *fakeBuilder) snapshot() ([]string, []builder.Kind) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.started...), append([]builder.Kind(nil), f.results...)
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func start(t *testing.T, opts Options) (*Scheduler, *fakeBuilder, *builder.Bus) {
	fb := &fakeBuilder{release: make(chan struct{})}
	bus := &builder.Bus{}
	s := New(fb, bus, opts)
	go s.Run(context.Background())
	t.Cleanup(func() { close(fb.release); s.Quit(true) })
	return s, fb, bus
}

func p(dir string) builder.Project { return builder.Project{Dir: dir} }

func TestFIFOAndMerge(t *testing.T) {
	s, fb, _ := start(t, Options{})
	s.Enqueue(p("/a"), "change")
	waitUntil(t, "a starts", func() bool { st, _ := fb.snapshot(); return len(st) == 1 })
	s.Enqueue(p("/b"), "change")
	s.Enqueue(p("/c"), "change")
	s.Enqueue(p("/b"), "change") // merges
	s.Enqueue(p("/a"), "change") // one more after the running one
	q, running := s.Queued()
	if running != "/a" || !slices.Equal(q, []string{"/b", "/c", "/a"}) {
		t.Fatalf("queue %q running %q", q, running)
	}
	for i := 0; i < 4; i++ {
		fb.release <- struct{}{}
	}
	waitUntil(t, "all built", func() bool { _, r := fb.snapshot(); return len(r) == 4 })
	st, _ := fb.snapshot()
	if !slices.Equal(st, []string{"/a", "/b", "/c", "/a"}) {
		t.Errorf("build order %q", st)
	}
}

func TestRestartCancelsRunningBuild(t *testing.T) {
	s, fb, _ := start(t, Options{Restart: true})
	s.Enqueue(p("/a"), "change")
	waitUntil(t, "a starts", func() bool { st, _ := fb.snapshot(); return len(st) == 1 })
	s.Enqueue(p("/a"), "change")
	waitUntil(t, "a restarts", func() bool { st, _ := fb.snapshot(); return len(st) == 2 })
	_, res := fb.snapshot()
	if res[0] != builder.KindCancelled {
		t.Errorf("first build ended %s, want cancelled", res[0])
	}
}

func TestCancelAndEvents(t *testing.T) {
	s, fb, bus := start(t, Options{})
	events, stop := bus.Subscribe()
	defer stop()
	s.Enqueue(p("/a"), "manual")
	waitUntil(t, "a starts", func() bool { st, _ := fb.snapshot(); return len(st) == 1 })
	s.Enqueue(p("/b"), "manual")
	s.Cancel("/b")
	s.Cancel("/a")
	waitUntil(t, "a cancelled", func() bool { _, r := fb.snapshot(); return len(r) == 1 })
	_, res := fb.snapshot()
	if res[0] != builder.KindCancelled {
		t.Errorf("got %s", res[0])
	}
	var states []string
	timeout := time.After(time.Second)
	for len(states) < 5 {
		select {
		case e := <-events:
			switch e := e.(type) {
			case builder.ProjectChanged:
				states = append(states, e.Project+":"+string(e.State))
			case builder.BuildQueued:
				states = append(states, e.Project+":queued-"+e.Reason)
			}
		case <-timeout:
			t.Fatalf("events so far: %q", states)
		}
	}
	want := []string{"/a:queued-manual", "/a:queued", "/a:building", "/b:queued-manual", "/b:queued"}
	if !slices.Equal(states, want) {
		t.Errorf("events %q, want %q", states, want)
	}
}

func TestQuitFinishOrCancel(t *testing.T) {
	for _, cancel := range []bool{false, true} {
		fb := &fakeBuilder{release: make(chan struct{})}
		s := New(fb, nil, Options{})
		go s.Run(context.Background())
		s.Enqueue(p("/a"), "change")
		s.Enqueue(p("/b"), "change")
		waitUntil(t, "a starts", func() bool { st, _ := fb.snapshot(); return len(st) == 1 })
		done := make(chan struct{})
		go func() { s.Quit(cancel); close(done) }()
		if !cancel {
			time.Sleep(50 * time.Millisecond)
			fb.release <- struct{}{}
		}
		<-done
		st, res := fb.snapshot()
		want := builder.KindOK
		if cancel {
			want = builder.KindCancelled
		}
		if len(st) != 1 || res[0] != want {
			t.Errorf("cancel=%v: started %q results %q", cancel, st, res)
		}
	}
}

type stopper struct{ n atomic.Int32 }

func (s *stopper) Stop(context.Context) error { s.n.Add(1); return nil }

// An idle stop stops the machine once and says which builder stopped:
// the event keeps the backend and the name.
func TestIdleStop(t *testing.T) {
	st := &stopper{}
	s, fb, bus := start(t, Options{IdleStop: 100 * time.Millisecond, Stopper: st, Backend: "vm", Name: "nixpass"})
	events, stop := bus.Subscribe()
	defer stop()
	s.Enqueue(p("/a"), "change")
	fb.release <- struct{}{}
	waitUntil(t, "idle stop", func() bool { return st.n.Load() == 1 })
	deadline := time.After(5 * time.Second)
	for {
		select {
		case ev := <-events:
			if e, ok := ev.(builder.BuilderChanged); ok {
				if got := e.Status; got.State != builder.BuilderStopped || got.Backend != "vm" || got.Name != "nixpass" {
					t.Errorf("idle stop event: got state %q backend %q name %q, want stopped vm nixpass", got.State, got.Backend, got.Name)
				}
				return
			}
		case <-deadline:
			t.Fatal("no BuilderChanged event after the idle stop")
		}
	}
}

// busyStopper refuses (ErrInUse) while busy is set, and counts both.
type busyStopper struct {
	busy             atomic.Bool
	refused, stopped atomic.Int32
}

func (s *busyStopper) Stop(context.Context) error {
	if s.busy.Load() {
		s.refused.Add(1)
		return fmt.Errorf("%w: the vm builder session (PID 42, since 10:00)", ErrInUse)
	}
	s.stopped.Add(1)
	return nil
}

// An idle stop refused as in use (an upload, a vm builder session) is
// postponed, not dropped: the machine stops once the user has gone, and
// the log says why it waited.
func TestIdleStopPostponed(t *testing.T) {
	st := &busyStopper{}
	st.busy.Store(true)
	var mu sync.Mutex
	var logged []string
	logf := func(f string, a ...any) { mu.Lock(); logged = append(logged, fmt.Sprintf(f, a...)); mu.Unlock() }
	s, fb, _ := start(t, Options{IdleStop: 50 * time.Millisecond, Stopper: st, Logf: logf})
	s.Enqueue(p("/a"), "change")
	fb.release <- struct{}{}
	waitUntil(t, "two refused stops", func() bool { return st.refused.Load() >= 2 })
	if n := st.stopped.Load(); n != 0 {
		t.Fatalf("stopped %d times while in use", n)
	}
	st.busy.Store(false)
	waitUntil(t, "the stop after the session", func() bool { return st.stopped.Load() == 1 })
	time.Sleep(150 * time.Millisecond)
	if n := st.stopped.Load(); n != 1 {
		t.Errorf("stopped %d times, want once", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(logged) == 0 || !strings.Contains(logged[0], "postponed") || !strings.Contains(logged[0], "vm builder session (PID 42") {
		t.Errorf("log %q, want the postponement and its reason", logged)
	}
}

// A build serving a click and a change is manual, so its outcome is shown;
// a click that restarts a running build stays manual.
func TestReasonMergesManual(t *testing.T) {
	s, fb, _ := start(t, Options{Restart: true})
	s.Enqueue(p("/a"), "change")
	waitUntil(t, "a starts", func() bool { st, _ := fb.snapshot(); return len(st) == 1 })
	s.Enqueue(p("/b"), "manual")
	s.Enqueue(p("/b"), "change")
	s.Enqueue(p("/a"), "manual") // restarts /a
	// /a was cancelled by the restart: /b and /a again are left.
	for i := 0; i < 2; i++ {
		fb.release <- struct{}{}
	}
	waitUntil(t, "three builds", func() bool { st, _ := fb.snapshot(); return len(st) >= 3 })
	fb.mu.Lock()
	defer fb.mu.Unlock()
	want := map[string]string{"/b": "manual"}
	if got := fb.reasons[0]; got != "change" {
		t.Errorf("first build reason = %q, want change", got)
	}
	for i, dir := range fb.started[1:] {
		if w, ok := want[dir]; ok && fb.reasons[i+1] != w {
			t.Errorf("build of %s: reason %q, want %q", dir, fb.reasons[i+1], w)
		}
		if dir == "/a" && fb.reasons[i+1] != "manual" {
			t.Errorf("the restarted build of /a: reason %q, want manual", fb.reasons[i+1])
		}
	}
}
