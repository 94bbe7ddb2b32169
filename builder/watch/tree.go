package watch

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
)

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
		if path != p.root && p.ig.ignored(path, true) {
			return filepath.SkipDir
		}
		if _, ok := w.dirs[path]; ok {
			return nil
		}
		if recursive && path != p.root {
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
		git := filepath.Join(p.root, ".git")
		if st, err := os.Lstat(git); err == nil && st.IsDir() {
			if _, ok := w.dirs[git]; !ok && w.fw.Add(git) == nil {
				w.dirs[git] = p
			}
		}
	}
	return files, addErr
}

// watchTree loads p's ignore rules and watches its tree from p.root.
// Half a project watched is worse than none: on a *BudgetError its
// descriptors are given back. Called with w.mu held.
func (w *Watcher) watchTree(p *project) error {
	p.ig = loadIgnorer(p.root, p.spec.Output, p.spec.Flake)
	_, err := w.walk(p, p.root, false)
	var be *BudgetError
	if errors.As(err, &be) {
		w.unwatch(p, p.root)
	}
	return err
}

// rewatch drops every watch of p and watches its folder afresh, at its
// canonical path as it is now: for a root replaced while it exists (a
// folder swapped in by `mv proj.new proj`, a parent renamed away and
// back), whose old watches follow the old folder or are gone. Called with
// w.mu held.
func (w *Watcher) rewatch(p *project) error {
	w.unwatch(p, p.root)
	p.root = canonicalRoot(p.spec.Dir)
	if why := notAFolder(p.root); why != "" {
		w.goMissing(p, why)
		return nil
	}
	return w.watchTree(p)
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

// projectOf finds the project an event path belongs to and returns the
// path spelled below that project's root. With a recursive backend that
// is the innermost project whose root holds path (projects may nest),
// compared as underRoot does, unless path is inside an ignored folder
// (which a per-folder backend never watches in the first place).
func (w *Watcher) projectOf(path string) (*project, string) {
	if w.fw.Recursive() {
		var best *project
		bestPath := ""
		for _, p := range w.projects {
			if p.missing {
				continue
			}
			if in, ok := underRoot(p.root, path); ok && (best == nil || len(p.root) > len(best.root)) {
				best, bestPath = p, in
			}
		}
		if best != nil && bestPath != best.root && best.ig != nil && best.ig.insideIgnored(bestPath) {
			return nil, ""
		}
		return best, bestPath
	}
	if p, ok := w.dirs[filepath.Dir(path)]; ok {
		return p, path
	}
	if p, ok := w.dirs[path]; ok {
		return p, path
	}
	return nil, ""
}
