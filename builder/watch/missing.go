package watch

import (
	"os"
	"time"
)

// goMissing marks p missing and polls until its folder returns. Called
// with w.mu held.
func (w *Watcher) goMissing(p *project, reason string) {
	if p.missing {
		return
	}
	p.missing = true
	w.unwatch(p, p.root)
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
		root := canonicalRoot(p.spec.Dir)
		if st, err := os.Stat(root); err != nil || !st.IsDir() {
			continue
		}
		if f, err := os.Open(root); err != nil {
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
		p.root = root
		p.ig = loadIgnorer(p.root, p.spec.Output, p.spec.Flake)
		_, err := w.walk(p, p.root, false)
		reason := "the folder is back"
		if err != nil {
			reason = err.Error()
		}
		w.sendState(StateEvent{Dir: p.spec.Dir, Missing: false, Reason: reason})
		w.note(p, []string{p.root})
		w.mu.Unlock()
		return
	}
}
