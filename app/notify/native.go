package notify

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Center is the part of macOS's UNUserNotificationCenter nixpass uses; the
// darwin&&cgo build implements it in a few lines of Objective-C
// (center_darwin.go), and the rules around it live here, tested anywhere.
type Center interface {
	// Authorize asks once for permission to notify (the system asks the
	// user the first time) and calls done with the answer, on any thread.
	Authorize(done func(granted bool))
	// Post shows a notification; id replaces an earlier one with the same
	// id; log, when set, is opened by a click.
	Post(id, title, body, log string) error
}

// Native posts through the notification center, under nixpass's own name
// and icon, once authorised; until the answer comes notifications wait,
// and when authorisation is refused (or posting fails) they go through
// Fallback, as they do for an app that is not bundled.
type Native struct {
	Center   Center
	Fallback GroupSender
	// LogFor maps a group to the build log a click opens ("" for none).
	LogFor func(group string) string

	mu    sync.Mutex
	state authState
	queue []note
}

type note struct{ group, title, body string }

type authState int

const (
	authUnasked authState = iota // the first notification asks
	authAsking                   // waiting for the answer: queue
	authGranted                  // post natively
	authRefused                  // use the fallback
)

var _ FullSender = (*Native)(nil)

// Send implements Sender.
func (n *Native) Send(title, body string) error { return n.SendGroup(GroupID("nixpass"), title, body) }

// SendGroup implements GroupSender, following authState.
func (n *Native) SendGroup(group, title, body string) error {
	n.mu.Lock()
	switch n.state {
	case authGranted:
		n.mu.Unlock()
		return n.post(note{group, title, body})
	case authRefused:
		n.mu.Unlock()
		return n.Fallback.SendGroup(group, title, body)
	case authAsking:
		n.queue = append(n.queue, note{group, title, body})
		n.mu.Unlock()
		return nil
	}
	n.state = authAsking
	n.queue = append(n.queue, note{group, title, body})
	n.mu.Unlock()
	n.Center.Authorize(n.answered)
	return nil
}

// answered records the user's answer and sends what waited for it.
func (n *Native) answered(granted bool) {
	n.mu.Lock()
	n.state = authRefused
	if granted {
		n.state = authGranted
	}
	queue := n.queue
	n.queue = nil
	n.mu.Unlock()
	for _, m := range queue {
		if granted {
			_ = n.post(m)
		} else {
			_ = n.Fallback.SendGroup(m.group, m.title, m.body)
		}
	}
}

// post sends m natively, falling back when the center refuses it.
func (n *Native) post(m note) error {
	log := ""
	if n.LogFor != nil {
		log = n.LogFor(m.group)
	}
	if err := n.Center.Post(m.group, m.title, m.body, log); err != nil {
		return n.Fallback.SendGroup(m.group, m.title, m.body)
	}
	return nil
}

// Bundled reports whether the executable runs from an app bundle
// (NAME.app/Contents/MacOS/), without which the notification center
// refuses the process (it has no bundle identifier).
func Bundled(exe string) bool {
	return strings.Contains(filepath.ToSlash(exe), ".app/Contents/MacOS/")
}

// ClickTarget is what a click on a notification opens: its build log when
// that is a file inside logDir, else nothing (a notification never opens
// an arbitrary path).
func ClickTarget(log, logDir string) string {
	if log == "" || logDir == "" {
		return ""
	}
	rel, err := filepath.Rel(logDir, filepath.Clean(log))
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return ""
	}
	if st, err := os.Stat(log); err != nil || !st.Mode().IsRegular() {
		return ""
	}
	return log
}

// ProjectOfGroup is the project folder of a GroupID, or "" for the
// builder's and nixpass's own groups.
func ProjectOfGroup(group string) string {
	dir := strings.TrimPrefix(group, GroupID(""))
	if !filepath.IsAbs(dir) {
		return ""
	}
	return dir
}

// FullSender sends single and grouped notifications.
type FullSender interface {
	Sender
	GroupSender
}

// Choose is the sender for this process: the notification center when
// there is one (darwin with cgo) and the executable runs from its bundle,
// else fallback.
func Choose(c Center, exe string, fallback FullSender, logFor func(string) string) FullSender {
	if c == nil || !Bundled(exe) {
		return fallback
	}
	return &Native{Center: c, Fallback: fallback, LogFor: logFor}
}
