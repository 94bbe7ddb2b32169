// Package watch watches registered project folders and reports, per
// project, one debounced trigger for a burst of relevant changes. It knows
// nothing of builds; the scheduler consumes its triggers.
package watch

import (
	"path/filepath"
	"sync"
	"time"
)

// Options tune the watcher; zero values take the defaults.
type Options struct {
	// Quiet is how long a project must stay quiet after a change (500ms).
	Quiet time.Duration
	// MaxWait bounds the wait from a burst's first change (5s).
	MaxWait time.Duration
	// MissingPoll is how often a missing project folder is looked for (2s).
	MissingPoll time.Duration
	// FDBudget is how many file descriptors the watches may hold where the
	// backend costs one per file (kqueue): 0 means a quarter of the soft
	// limit, at most 4096; a positive value also applies to other backends
	// (tests use it with inotify); negative means no budget.
	FDBudget int

	// backend replaces the platform's backend (tests).
	backend func() (backend, error)

	// Own are nixpass's own files and folders (state folder, log folder,
	// config file): never a trigger and never watched, wherever they lie,
	// so a project that contains them does not rebuild on its own builds'
	// writes.
	Own []string
}

// Spec is one project to watch.
type Spec struct {
	Dir string
	// Output is the image file's name, whose writes never trigger.
	Output string
	// Flake makes .git/HEAD and .git/index count as changes.
	Flake bool
}

// Trigger says a project changed and should be built.
type Trigger struct {
	Dir string
	// Paths holds up to maxSamples of the changed paths.
	Paths []string
	// Count is the number of relevant events in the burst.
	Count int
}

// StateEvent reports a project folder going missing or coming back.
type StateEvent struct {
	Dir     string
	Missing bool
	Reason  string
}

const maxSamples = 16

// Watcher watches project folders.
type Watcher struct {
	opts     Options
	fw       backend
	triggers chan Trigger
	states   chan StateEvent

	mu       sync.Mutex
	projects map[string]*project
	dirs     map[string]*project // watched folder -> its project
	costs    map[string]int      // watched folder -> descriptors it holds (budgeted backends)
	budget   fdBudget
	closed   bool
	done     chan struct{}
}

type project struct {
	spec Spec
	// root is spec.Dir's canonical path (see canon.go): what is walked,
	// watched and matched against events.
	root    string
	ig      *ignorer
	timer   *time.Timer
	first   time.Time
	paths   []string
	count   int
	missing bool
}

// New starts a watcher with no projects.
func New(opts Options) (*Watcher, error) {
	if opts.Quiet <= 0 {
		opts.Quiet = 500 * time.Millisecond
	}
	if opts.MaxWait < opts.Quiet {
		opts.MaxWait = 10 * opts.Quiet
	}
	if opts.MissingPoll <= 0 {
		opts.MissingPoll = 2 * time.Second
	}
	nb := opts.backend
	if nb == nil {
		nb = newBackend
	}
	fw, err := nb()
	if err != nil {
		return nil, limitError("(new watcher)", err)
	}
	opts.Own = ownPaths(opts.Own)
	w := &Watcher{opts: opts, fw: fw, triggers: make(chan Trigger, 256), states: make(chan StateEvent, 256),
		projects: map[string]*project{}, dirs: map[string]*project{}, costs: map[string]int{}, done: make(chan struct{})}
	switch {
	case opts.FDBudget > 0:
		w.budget.limit = opts.FDBudget
	case opts.FDBudget == 0 && fw.PerEntryFDs():
		w.budget.limit = platformFDBudget()
	}
	go w.loop()
	return w, nil
}

// Triggers delivers debounced changes.
func (w *Watcher) Triggers() <-chan Trigger { return w.triggers }

// States delivers folders going missing and coming back.
func (w *Watcher) States() <-chan StateEvent { return w.states }

// WatchCount is the number of folders watched.
func (w *Watcher) WatchCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.dirs)
}

// Add starts watching a project; adding a watched project updates its
// spec. The folder is watched at its canonical path (a symlinked root is
// followed), and every Trigger names it as s.Dir spells it.
func (w *Watcher) Add(s Spec) error {
	s.Dir = filepath.Clean(s.Dir)
	w.mu.Lock()
	defer w.mu.Unlock()
	if p, ok := w.projects[s.Dir]; ok {
		p.spec = s
		if p.missing {
			return nil
		}
		if root := canonicalRoot(s.Dir); root != p.root {
			// The path now leads elsewhere (a symlink changed): watch that.
			return w.rewatch(p)
		}
		p.ig = loadIgnorer(p.root, s.Output, s.Flake)
		return nil
	}
	p := &project{spec: s, root: canonicalRoot(s.Dir)}
	w.projects[s.Dir] = p
	if why := notAFolder(p.root); why != "" {
		w.goMissing(p, why)
		return nil
	}
	return w.watchTree(p)
}

// Remove stops watching the project in dir.
func (w *Watcher) Remove(dir string) error {
	dir = filepath.Clean(dir)
	w.mu.Lock()
	defer w.mu.Unlock()
	p, ok := w.projects[dir]
	if !ok {
		return nil
	}
	if p.timer != nil {
		p.timer.Stop()
	}
	w.unwatch(p, p.root)
	delete(w.projects, dir)
	return nil
}

// Close stops the watcher.
func (w *Watcher) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	for _, p := range w.projects {
		if p.timer != nil {
			p.timer.Stop()
		}
	}
	w.mu.Unlock()
	err := w.fw.Close()
	<-w.done
	return err
}
