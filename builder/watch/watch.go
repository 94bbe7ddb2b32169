// Package watch watches registered project folders and reports, per
// project, one debounced trigger for a burst of relevant changes. It knows
// nothing of builds; the scheduler consumes its triggers.
package watch

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
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
	spec    Spec
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

// Add starts watching a project; adding a watched project updates its spec.
func (w *Watcher) Add(s Spec) error {
	s.Dir = filepath.Clean(s.Dir)
	w.mu.Lock()
	defer w.mu.Unlock()
	if p, ok := w.projects[s.Dir]; ok {
		p.spec = s
		p.ig = loadIgnorer(s.Dir, s.Output, s.Flake)
		return nil
	}
	p := &project{spec: s}
	w.projects[s.Dir] = p
	if why := notAFolder(s.Dir); why != "" {
		w.goMissing(p, why)
		return nil
	}
	p.ig = loadIgnorer(s.Dir, s.Output, s.Flake)
	_, err := w.walk(p, s.Dir, false)
	var be *BudgetError
	if errors.As(err, &be) {
		// Half a project watched is worse than none: free its descriptors.
		w.unwatch(p, s.Dir)
	}
	return err
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
	w.unwatch(p, dir)
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

// walk watches every folder below dir that is not ignored and returns the
// files found when collect is set (files created before their folder's
// watch existed). Symlinks are never followed. A recursive backend only
// gets the project's root; a budgeted one stops at the budget with a
// *BudgetError. Called with w.mu held.
func (w *Watcher) walk(p *project, dir string, collect bool) ([]string, error) {
	var files []string
	var addErr error
	recursive := w.fw.Recursive()
	_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if w.own(path) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.IsDir() {
			if collect && !p.ig.ignored(path, false) {
				files = append(files, path)
			}
			return nil
		}
		if path != p.spec.Dir && p.ig.ignored(path, true) {
			return filepath.SkipDir
		}
		if _, ok := w.dirs[path]; ok {
			return nil
		}
		if recursive && path != p.spec.Dir {
			return nil
		}
		cost := 0
		if w.budget.limit > 0 {
			cost = watchCost(path)
			if !w.budget.take(cost) {
				addErr = &BudgetError{Dir: p.spec.Dir, Needed: w.budget.used + cost, Limit: w.budget.limit}
				return filepath.SkipAll
			}
		}
		if err := w.fw.Add(path); err != nil {
			w.budget.give(cost)
			if errors.Is(err, os.ErrNotExist) {
				return nil
			}
			addErr = limitError(path, err)
			return filepath.SkipAll
		}
		w.dirs[path] = p
		w.costs[path] = cost
		return nil
	})
	if p.spec.Flake && addErr == nil && !recursive {
		git := filepath.Join(p.spec.Dir, ".git")
		if st, err := os.Lstat(git); err == nil && st.IsDir() {
			if _, ok := w.dirs[git]; !ok && w.fw.Add(git) == nil {
				w.dirs[git] = p
			}
		}
	}
	return files, addErr
}

// unwatch drops the watches of dir and everything below it.
func (w *Watcher) unwatch(p *project, dir string) {
	for d, owner := range w.dirs {
		if owner == p && (d == dir || strings.HasPrefix(d, dir+string(filepath.Separator))) {
			_ = w.fw.Remove(d)
			delete(w.dirs, d)
			w.budget.give(w.costs[d])
			delete(w.costs, d)
		}
	}
}

// projectOf finds the project an event path belongs to. With a
// recursive backend that is the project whose folder holds path, unless
// path is inside an ignored folder (which a per-folder backend never
// watches in the first place).
func (w *Watcher) projectOf(path string) *project {
	if w.fw.Recursive() {
		// The innermost project holding path: projects may nest.
		var best *project
		for dir, p := range w.projects {
			if (path == dir || strings.HasPrefix(path, dir+string(filepath.Separator))) && (best == nil || len(dir) > len(best.spec.Dir)) {
				best = p
			}
		}
		if best != nil && path != best.spec.Dir && best.ig != nil && best.ig.insideIgnored(path) {
			return nil
		}
		return best
	}
	if p, ok := w.dirs[filepath.Dir(path)]; ok {
		return p
	}
	if p, ok := w.dirs[path]; ok {
		return p
	}
	return nil
}

func (w *Watcher) loop() {
	defer close(w.done)
	for {
		select {
		case ev, ok := <-w.fw.Events():
			if !ok {
				return
			}
			w.handle(ev)
		case _, ok := <-w.fw.Errors():
			if !ok {
				return
			}
		}
	}
}

func (w *Watcher) handle(ev fsnotify.Event) {
	w.mu.Lock()
	defer w.mu.Unlock()
	p := w.projectOf(ev.Name)
	if p == nil || p.missing {
		return
	}
	if ev.Name == p.spec.Dir || ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
		if why := notAFolder(p.spec.Dir); why != "" {
			w.goMissing(p, why)
			return
		}
	}
	if ev.Op == fsnotify.Chmod {
		return
	}
	if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
		if _, watched := w.dirs[ev.Name]; watched {
			w.unwatch(p, ev.Name)
		}
	}
	if w.own(ev.Name) {
		return
	}
	st, err := os.Lstat(ev.Name)
	isDir := err == nil && st.IsDir()
	if p.ig.ignored(ev.Name, isDir) {
		return
	}
	if filepath.Base(ev.Name) == ".gitignore" {
		w.reload(p)
	}
	changed := []string{ev.Name}
	if isDir && ev.Has(fsnotify.Create) {
		files, err := w.walk(p, ev.Name, true)
		if err != nil {
			w.sendState(StateEvent{Dir: p.spec.Dir, Missing: false, Reason: err.Error()})
		}
		changed = append(changed, files...)
	}
	w.note(p, changed)
}

// reload re-reads the .gitignore files and re-syncs the watches: newly
// ignored folders lose theirs, newly unignored ones are walked.
func (w *Watcher) reload(p *project) {
	p.ig = loadIgnorer(p.spec.Dir, p.spec.Output, p.spec.Flake)
	for d, owner := range w.dirs {
		if owner == p && d != p.spec.Dir && p.ig.ignored(d, true) && filepath.Base(d) != ".git" {
			w.unwatch(p, d)
		}
	}
	_, _ = w.walk(p, p.spec.Dir, false)
}

// note records changes and (re)arms the project's debounce timer.
func (w *Watcher) note(p *project, paths []string) {
	now := time.Now()
	if p.count == 0 {
		p.first = now
	}
	p.count += len(paths)
	for _, path := range paths {
		if len(p.paths) < maxSamples {
			p.paths = append(p.paths, path)
		}
	}
	delay := w.opts.Quiet
	if left := p.first.Add(w.opts.MaxWait).Sub(now); left < delay {
		delay = left
	}
	if delay < 0 {
		delay = 0
	}
	if p.timer == nil {
		p.timer = time.AfterFunc(delay, func() { w.fire(p) })
	} else {
		p.timer.Reset(delay)
	}
}

func (w *Watcher) fire(p *project) {
	w.mu.Lock()
	if w.closed || p.count == 0 {
		w.mu.Unlock()
		return
	}
	t := Trigger{Dir: p.spec.Dir, Paths: p.paths, Count: p.count}
	select {
	case w.triggers <- t:
		p.paths, p.count = nil, 0
	default:
		// The consumer is behind: keep the burst and try again soon.
		p.timer.Reset(w.opts.Quiet)
	}
	w.mu.Unlock()
}

func (w *Watcher) sendState(e StateEvent) {
	select {
	case w.states <- e:
	default:
	}
}

// goMissing marks p missing and polls until its folder returns. Called
// with w.mu held.
func (w *Watcher) goMissing(p *project, reason string) {
	if p.missing {
		return
	}
	p.missing = true
	w.unwatch(p, p.spec.Dir)
	w.sendState(StateEvent{Dir: p.spec.Dir, Missing: true, Reason: reason})
	go w.pollMissing(p)
}

func (w *Watcher) pollMissing(p *project) {
	tick := time.NewTicker(w.opts.MissingPoll)
	defer tick.Stop()
	for {
		select {
		case <-w.done:
			return
		case <-tick.C:
		}
		if st, err := os.Stat(p.spec.Dir); err != nil || !st.IsDir() {
			continue
		}
		if f, err := os.Open(p.spec.Dir); err != nil {
			continue
		} else {
			f.Close()
		}
		w.mu.Lock()
		if w.closed || w.projects[p.spec.Dir] != p {
			w.mu.Unlock()
			return
		}
		p.missing = false
		p.ig = loadIgnorer(p.spec.Dir, p.spec.Output, p.spec.Flake)
		_, err := w.walk(p, p.spec.Dir, false)
		reason := "the folder is back"
		if err != nil {
			reason = err.Error()
		}
		w.sendState(StateEvent{Dir: p.spec.Dir, Missing: false, Reason: reason})
		w.note(p, []string{p.spec.Dir})
		w.mu.Unlock()
		return
	}
}

// ownPaths cleans nixpass's own paths and adds their real paths, so a
// state folder reached through a symlink is recognised either way.
func ownPaths(in []string) []string {
	var out []string
	for _, p := range in {
		if p == "" {
			continue
		}
		out = append(out, filepath.Clean(p))
		if real, err := filepath.EvalSymlinks(p); err == nil && real != filepath.Clean(p) {
			out = append(out, real)
		}
	}
	return out
}

// own reports whether path is one of nixpass's own files, lies below one
// of its folders, or is the temporary sibling an atomic write of one makes
// (renameio: ".NAME" followed by random digits, in the same folder).
func (w *Watcher) own(path string) bool {
	for _, o := range w.opts.Own {
		if path == o || strings.HasPrefix(path, o+string(filepath.Separator)) {
			return true
		}
		if filepath.Dir(path) == filepath.Dir(o) && strings.HasPrefix(filepath.Base(path), "."+filepath.Base(o)) {
			return true
		}
	}
	return false
}

// notAFolder says why dir is not a project folder any more (gone, or a
// file now stands where it was), or "" when it is one.
func notAFolder(dir string) string {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "the folder was removed or renamed"
	case err != nil:
		return err.Error()
	case !st.IsDir():
		return "a file now stands where the project folder was"
	}
	return ""
}
