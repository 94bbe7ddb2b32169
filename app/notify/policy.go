// Package notify decides which events deserve a desktop notification and
// sends them: at most one per build outcome, a repeated identical failure
// only once, builder problems once per episode.
package notify

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"nixpass/builder"
)

// Sender shows one notification.
type Sender interface {
	// Send shows title and body.
	Send(title, body string) error
}

// Policy turns events into notifications.
type Policy struct {
	// Success announces successful builds (failures always are).
	Success bool

	mu          sync.Mutex
	lastFailure map[string]string // project -> kind+message last announced
	builderBad  bool
}

// Message is one notification to show.
type Message struct{ Title, Body string }

// Decide returns the notification for ev, if any.
func (p *Policy) Decide(ev builder.Event) (Message, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.lastFailure == nil {
		p.lastFailure = map[string]string{}
	}
	switch e := ev.(type) {
	case builder.BuildFinished:
		return p.finished(e.Result)
	case builder.BuilderChanged:
		bad := e.Status.State == builder.BuilderUnavailable || e.Status.State == builder.BuilderDeleted
		if !bad {
			if e.Status.State == builder.BuilderRunning {
				p.builderBad = false
			}
			return Message{}, false
		}
		if p.builderBad {
			return Message{}, false
		}
		p.builderBad = true
		return Message{Title: "nixpass: builder unavailable", Body: strings.TrimSpace(e.Status.Problem + "\n" + e.Status.Hint)}, true
	}
	return Message{}, false
}

func (p *Policy) finished(r builder.Result) (Message, bool) {
	name := filepath.Base(r.Project)
	switch {
	case r.Kind == builder.KindCancelled:
		return Message{}, false
	case r.Succeeded():
		_, wasFailing := p.lastFailure[r.Project]
		delete(p.lastFailure, r.Project)
		if r.UpToDate && !wasFailing {
			return Message{}, false
		}
		if !p.Success && !wasFailing {
			return Message{}, false
		}
		title := "nixpass: " + name + " built"
		if wasFailing {
			title = "nixpass: " + name + " fixed"
		}
		body := fmt.Sprintf("%s · %s · %s", nonEmpty(r.Image, filepath.Base(r.Output)), builder.HumanBytes(r.Bytes), r.Duration().Round(1e8))
		if r.Platform != "" {
			body += " · " + r.Platform
		}
		return Message{Title: title, Body: body}, true
	}
	key := string(r.Kind) + "\x00" + r.Message
	if p.lastFailure[r.Project] == key {
		return Message{}, false
	}
	p.lastFailure[r.Project] = key
	msg := r.Message
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	return Message{Title: name + ": " + r.Kind.Title(), Body: strings.TrimSpace(msg + "\n" + r.Hint)}, true
}

func nonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
