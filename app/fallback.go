package main

import (
	"strings"
	"sync"

	"nixpass/app/tray"
	"nixpass/builder"
)

// fallback keeps results reaching the user when the desktop cannot show
// them: without a notification service it says so once and prints each
// result where `nixpass app` was started, the one line `app` prints; and
// without a menu (or without notifications) it writes each failure's
// report to the file "Show last error…" would open.
type fallback struct {
	logf     func(format string, a ...any)
	snapshot func() builder.Snapshot

	mu        sync.Mutex
	noNotify  bool
	reportsOn bool
}

// failed records that a notification could not be shown: the first time
// it says why and what happens instead.
func (f *fallback) failed(err error) {
	f.mu.Lock()
	first := !f.noNotify
	f.noNotify, f.reportsOn = true, true
	f.mu.Unlock()
	if first {
		f.logf("notifications cannot be shown on this desktop (%s): each result is printed here, and a failure's report is written to a file", firstLineOf(err.Error()))
	}
}

// noMenu records that there is no menu to show a failure's report.
func (f *fallback) noMenu() {
	f.mu.Lock()
	f.reportsOn = true
	f.mu.Unlock()
}

// finished prints the build's result when notifications failed, and
// writes a failure's report when there is no menu or no notification.
func (f *fallback) finished(e builder.BuildFinished) {
	f.mu.Lock()
	print, reports := f.noNotify, f.reportsOn
	f.mu.Unlock()
	if print {
		var b strings.Builder
		printEventText(&b, e)
		for _, l := range strings.Split(strings.TrimRight(b.String(), "\n"), "\n") {
			f.logf("%s", l)
		}
	}
	res := e.Result
	if !reports || res.Succeeded() {
		return
	}
	for _, p := range f.snapshot().Projects {
		if p.Path != res.Project {
			continue
		}
		p.Last = &res
		if path, err := tray.WriteErrorReport(p); err != nil {
			f.logf("write the error report: %v", err)
		} else if print {
			f.logf("  the full report: %s", path)
		}
	}
}
