// Package notify decides which events deserve a desktop notification and
// sends them: at most one per build outcome, a repeated identical failure
// only once, builder problems once per episode.
//
// It may import builder (the root) and assets; nothing under builder/
// imports app.
package notify

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"nixpass/builder"
	"nixpass/builder/clean"
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

// Message is one notification to show. Group is what it is about (a
// project's folder, or "builder"): a newer notification of the same group
// replaces the older one where the sender can (terminal-notifier -group).
type Message struct{ Title, Body, Group string }

// GroupSender is a Sender that can group notifications.
type GroupSender interface {
	// SendGroup shows title and body, replacing the last one of group.
	SendGroup(group, title, body string) error
}

// GroupID is the notification group of a Message's Group: one per
// project, one for the builder.
func GroupID(group string) string { return "dev.nixpass.app:" + group }

// Deliver sends m through s, grouped when s can group: its title and
// each line of its body clean one-line text (an image's manifest names
// the image; paths come from the user's files).
func Deliver(s Sender, m Message) error {
	lines := strings.Split(clean.Text(m.Body), "\n")
	for i, l := range lines {
		lines[i] = clean.Line(l)
	}
	m.Title, m.Body = clean.Line(m.Title), strings.Join(lines, "\n")
	if g, ok := s.(GroupSender); ok {
		return g.SendGroup(GroupID(m.Group), m.Title, m.Body)
	}
	return s.Send(m.Title, m.Body)
}

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
		return Message{Title: "nixpass: builder unavailable", Body: strings.TrimSpace(e.Status.Problem + "\n" + e.Status.Hint), Group: "builder"}, true
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
		if r.BuiltOn != "" && r.BuiltOn != builder.BuiltLocal {
			body += " · on " + builder.BuilderHost(r.BuiltOn)
		}
		if r.Warning != "" {
			body += "\n" + r.Warning
		}
		return Message{Title: title, Body: body, Group: r.Project}, true
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
	if r.Kind == builder.KindDocker {
		// The image is good: say so first, then what Docker said.
		_, why, _ := strings.Cut(msg, "not loaded into Docker: ")
		body := fmt.Sprintf("%s is built (%s) but Docker did not load it: %s", nonEmpty(r.Image, filepath.Base(r.Output)), builder.HumanBytes(r.Bytes), why)
		return Message{Title: name + ": " + r.Kind.Title(), Body: strings.TrimSpace(body + "\n" + r.Hint), Group: r.Project}, true
	}
	if r.Kind == builder.KindCache {
		// The image is good: say so first, then what the cache said.
		_, why, _ := strings.Cut(msg, "not uploaded to the cache: ")
		body := fmt.Sprintf("%s is built (%s) but not uploaded to the team cache: %s", nonEmpty(r.Image, filepath.Base(r.Output)), builder.HumanBytes(r.Bytes), why)
		return Message{Title: name + ": " + r.Kind.Title(), Body: strings.TrimSpace(body + "\n" + r.Hint), Group: r.Project}, true
	}
	return Message{Title: name + ": " + r.Kind.Title(), Body: strings.TrimSpace(msg + "\n" + r.Hint), Group: r.Project}, true
}

func nonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
