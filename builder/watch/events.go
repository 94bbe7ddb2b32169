package watch

import (
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

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
	p, name := w.projectOf(ev.Name)
	if p == nil || p.missing {
		return
	}
	ev.Name = name
	if ev.Name == p.root || ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
		if why := notAFolder(p.root); why != "" {
			w.goMissing(p, why)
			return
		}
	}
	if ev.Name == p.root && (ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename)) {
		// The root moved or was removed, yet a folder stands at its path
		// again: another folder, or the same one back. The old watches do
		// not cover it; watch it afresh, and build.
		if err := w.rewatch(p); err != nil {
			w.sendState(StateEvent{Dir: p.spec.Dir, Missing: false, Reason: err.Error()})
		}
		if !p.missing {
			w.note(p, []string{p.root})
		}
		return
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
	p.ig = loadIgnorer(p.root, p.spec.Output, p.spec.Flake)
	for d, owner := range w.dirs {
		if owner == p && d != p.root && p.ig.ignored(d, true) && filepath.Base(d) != ".git" {
			w.unwatch(p, d)
		}
	}
	_, _ = w.walk(p, p.root, false)
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
