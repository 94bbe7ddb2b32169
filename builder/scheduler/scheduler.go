// Package scheduler decides when builds run: one at a time per builder
// (the VM's memory is the constraint), first in first out across
// projects, at most one pending build per project, and what a change
// during a build does (queue one more, or cancel and restart).
//
// It may import builder (the root) only.
package scheduler

import (
	"context"
	"errors"
	"sort"
	"sync"
	"time"

	"nixpass/builder"
)

// Builder runs one build; *build.Builder is one.
type Builder interface {
	// Build builds p and returns its result, never nil.
	Build(ctx context.Context, p builder.Project) *builder.Result
}

// Stopper stops an idle builder machine (core's idle stop of the VM).
type Stopper interface {
	// Stop stops the machine, or returns an error wrapping ErrInUse,
	// saying by what, when something other than this scheduler's builds
	// uses it (a build of another process, an upload, a session).
	Stop(ctx context.Context) error
}

// ErrInUse is a Stopper's refusal to stop a machine in use: the idle
// stop is postponed by another IdleStop.
var ErrInUse = errors.New("the builder is in use")

// Options tune the scheduler.
type Options struct {
	// Restart cancels a running build when its project changes.
	Restart bool
	// IdleStop stops the machine after this long without builds; 0 is off.
	IdleStop time.Duration
	// Stopper is what IdleStop stops; nil disables idle stops.
	Stopper Stopper
	// Logf, when set, is told why an idle stop was postponed.
	Logf func(format string, args ...any)
	// Backend and Name are the builder's, for the event an idle stop
	// publishes (its status names the builder that stopped).
	Backend, Name string
}

// Scheduler queues and runs builds. Its state is only visible through
// events on the Bus and Snapshot.
type Scheduler struct {
	b    Builder
	bus  *builder.Bus
	opts Options

	mu       sync.Mutex
	queue    []string                   // dirs, FIFO
	pending  map[string]builder.Project // latest request per queued dir
	reasons  map[string]string          // merged reason per queued dir
	running  string
	cancel   context.CancelFunc
	closed   bool
	wake     chan struct{}
	done     chan struct{}
	idle     *time.Timer
	lastDone time.Time
}

// New makes a scheduler that publishes on bus.
func New(b Builder, bus *builder.Bus, opts Options) *Scheduler {
	return &Scheduler{b: b, bus: bus, opts: opts, pending: map[string]builder.Project{}, reasons: map[string]string{},
		wake: make(chan struct{}, 1), done: make(chan struct{})}
}

func (s *Scheduler) publish(e builder.Event) {
	if s.bus != nil {
		s.bus.Publish(e)
	}
}

func now() builder.At { return builder.At{Time: time.Now()} }

// Enqueue asks for a build of p. A project already queued keeps its place
// and takes the newer request; a project being built is rebuilt after (or,
// with Restart, its build is cancelled and started again).
func (s *Scheduler) Enqueue(p builder.Project, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if s.running == p.Dir {
		if s.opts.Restart && s.cancel != nil {
			s.cancel()
			if reason != "manual" {
				reason = "restart"
			}
		}
	}
	if _, queued := s.pending[p.Dir]; !queued {
		s.queue = append(s.queue, p.Dir)
		s.publish(builder.BuildQueued{At: now(), Project: p.Dir, Reason: reason})
		s.publish(builder.ProjectChanged{At: now(), Project: p.Dir, State: builder.ProjectQueued})
	}
	s.pending[p.Dir] = p
	s.reasons[p.Dir] = builder.MergeReason(s.reasons[p.Dir], reason)
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Cancel drops a queued build of dir and cancels a running one.
func (s *Scheduler) Cancel(dir string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.pending[dir]; ok {
		delete(s.pending, dir)
		delete(s.reasons, dir)
		for i, d := range s.queue {
			if d == dir {
				s.queue = append(s.queue[:i], s.queue[i+1:]...)
				break
			}
		}
		if s.running != dir {
			s.publish(builder.ProjectChanged{At: now(), Project: dir, State: builder.ProjectIdle})
		}
	}
	if s.running == dir && s.cancel != nil {
		s.cancel()
	}
}

// Queued returns the queued project folders in order, and the one being
// built ("" if none).
func (s *Scheduler) Queued() (queue []string, running string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.queue...), s.running
}

// Run builds queued projects until Quit; it returns when the last build
// has ended.
func (s *Scheduler) Run(ctx context.Context) {
	defer close(s.done)
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return
		}
		if len(s.queue) == 0 {
			s.mu.Unlock()
			select {
			case <-s.wake:
				continue
			case <-ctx.Done():
				s.mu.Lock()
				s.closed = true
				s.mu.Unlock()
				return
			}
		}
		dir := s.queue[0]
		s.queue = s.queue[1:]
		p := s.pending[dir]
		delete(s.pending, dir)
		reason := s.reasons[dir]
		delete(s.reasons, dir)
		bctx, cancel := context.WithCancel(builder.WithReason(ctx, reason))
		s.running, s.cancel = dir, cancel
		if s.idle != nil {
			s.idle.Stop()
		}
		s.mu.Unlock()

		s.publish(builder.ProjectChanged{At: now(), Project: dir, State: builder.ProjectBuilding})
		s.b.Build(bctx, p)
		cancel()

		s.mu.Lock()
		s.running, s.cancel = "", nil
		_, queuedAgain := s.pending[dir]
		s.lastDone = time.Now()
		s.armIdle()
		s.mu.Unlock()
		if !queuedAgain {
			s.publish(builder.ProjectChanged{At: now(), Project: dir, State: builder.ProjectIdle})
		}
	}
}

// armIdle starts the idle-stop timer. Called with s.mu held.
func (s *Scheduler) armIdle() {
	if s.opts.IdleStop <= 0 || s.opts.Stopper == nil {
		return
	}
	if s.idle == nil {
		s.idle = time.AfterFunc(s.opts.IdleStop, s.idleStop)
		return
	}
	s.idle.Reset(s.opts.IdleStop)
}

func (s *Scheduler) idleStop() {
	s.mu.Lock()
	busy := s.running != "" || len(s.queue) > 0 || s.closed
	s.mu.Unlock()
	if busy {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := s.opts.Stopper.Stop(ctx)
	if errors.Is(err, ErrInUse) {
		// Still in use: idle again only after another full period.
		s.mu.Lock()
		if !s.closed && s.running == "" {
			s.armIdle()
		}
		s.mu.Unlock()
		if s.opts.Logf != nil {
			s.opts.Logf("idle stop of the builder postponed by %s: %v", s.opts.IdleStop, err)
		}
		return
	}
	if err == nil {
		s.publish(builder.BuilderChanged{At: now(), Status: builder.BuilderStatus{Backend: s.opts.Backend, Name: s.opts.Name,
			State: builder.BuilderStopped, Problem: "stopped after being idle; it starts again on the next build"}})
	}
}

// Quit stops accepting builds, drops the queue, cancels the running build
// when cancel is set (else lets it finish), and waits for Run to return.
func (s *Scheduler) Quit(cancel bool) {
	s.mu.Lock()
	s.closed = true
	dropped := append([]string(nil), s.queue...)
	s.queue = nil
	s.pending = map[string]builder.Project{}
	if cancel && s.cancel != nil {
		s.cancel()
	}
	if s.idle != nil {
		s.idle.Stop()
	}
	s.mu.Unlock()
	sort.Strings(dropped)
	for _, d := range dropped {
		s.publish(builder.ProjectChanged{At: now(), Project: d, State: builder.ProjectIdle})
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
	<-s.done
}
