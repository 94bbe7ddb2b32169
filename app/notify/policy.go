// Package notify decides which events deserve a desktop notification and
// sends them: at most one per build outcome, a repeated identical failure
// only once, builder problems once per episode.
//
// It may import builder (the root), builder/clean, builder/config,
// app/human and assets; nothing under builder/ imports app.
package notify

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"nixpass/app/human"
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
	// Name is how a project folder is named in titles; nil is its base
	// name. The app names same-named folders by their parent too.
	Name func(project string) string

	mu          sync.Mutex
	lastFailure map[string]string // project -> kind+message last announced
	builderBad  bool
}

// Message is one notification to show. Group is what it is about (a
// project's folder, or "builder"): a newer notification of the same group
// replaces the older one where the sender can (terminal-notifier -group,
// replaces_id on Linux).
type Message struct {
	Title, Body, Group string
	// Project is the folder "Show log" and "Build again" act on ("" when
	// the message is not about a build).
	Project string
	// Urgent is for a builder that cannot build at all.
	Urgent bool
}

// lineMax is the longest body line: notification daemons cut or wrap
// beyond it, and the action must show.
const lineMax = 80

// body is at most two lines of at most lineMax characters: what happened,
// then what to do.
func body(what, action string) string {
	return strings.TrimSpace(human.Cut(what, lineMax) + "\n" + human.Cut(action, lineMax))
}

// title is the one title form: "nixpass · NAME: out of memory".
func title(name, what string) string { return "nixpass · " + name + ": " + what }

// GroupSender is a Sender that can group notifications.
type GroupSender interface {
	// SendGroup shows title and body, replacing the last one of group.
	SendGroup(group, title, body string) error
}

// GroupID is the notification group of a Message's Group: one per
// project, one for the builder.
func GroupID(group string) string { return "dev.nixpass.app:" + group }

// MessageSender is a Sender that takes the whole Message (the Linux one:
// replaces_id per group, actions for the project, urgency).
type MessageSender interface {
	// SendMessage shows m.
	SendMessage(m Message) error
}

// ActionSource is a Sender whose notifications have buttons; f gets the
// project folder and the action ("log" or "build").
type ActionSource interface {
	// OnAction sets the handler of the notifications' buttons.
	OnAction(f func(project, action string))
}

// Deliver sends m through s, whole when s takes a Message, else grouped
// when s can group: its title and each line of its body clean one-line
// text (an image's manifest names the image; paths come from the user's
// files).
func Deliver(s Sender, m Message) error {
	lines := strings.Split(clean.Text(m.Body), "\n")
	for i, l := range lines {
		lines[i] = clean.Line(l)
	}
	m.Title, m.Body = clean.Line(m.Title), strings.Join(lines, "\n")
	if ms, ok := s.(MessageSender); ok {
		return ms.SendMessage(m)
	}
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
		return Message{Title: "nixpass · builder unavailable", Body: body(human.Clean(firstLine(e.Status.Problem), ""), firstLine(e.Status.Hint)),
			Group: "builder", Urgent: e.Status.State == builder.BuilderUnavailable}, true
	case builder.ConfigProblem:
		where := filepath.Base(e.Path)
		if e.Line > 0 {
			where += fmt.Sprintf(" line %d", e.Line)
		}
		if e.Key != "" {
			where += ", " + e.Key
		}
		reason := e.Reason
		if reason == "" {
			reason = e.Message
		}
		return Message{Title: "nixpass · config not reloaded", Body: body(where+": "+reason, "Fix the file; the last good config stays in force"), Group: "config"}, true
	}
	return Message{}, false
}

func (p *Policy) finished(r builder.Result) (Message, bool) {
	name := filepath.Base(r.Project)
	if p.Name != nil {
		name = p.Name(r.Project)
	}
	manual := r.Reason == "manual"
	switch {
	case r.Kind == builder.KindCancelled:
		return Message{}, false
	case r.Succeeded():
		_, wasFailing := p.lastFailure[r.Project]
		delete(p.lastFailure, r.Project)
		if r.UpToDate && !wasFailing {
			if manual {
				// A click always shows its outcome.
				return Message{Title: title(name, "up to date"), Body: body(nonEmpty(r.Image, filepath.Base(r.Output))+" is up to date", ""), Group: r.Project, Project: r.Project}, true
			}
			return Message{}, false
		}
		if !p.Success && !wasFailing && !manual {
			return Message{}, false
		}
		what := "built"
		if wasFailing {
			what = "fixed"
		}
		line := fmt.Sprintf("%s · %s · %s", nonEmpty(r.Image, filepath.Base(r.Output)), builder.HumanBytes(r.Bytes), human.Duration(r.Duration()))
		if r.Platform != "" {
			line += " · " + r.Platform
		}
		if r.BuiltOn != "" && r.BuiltOn != builder.BuiltLocal {
			line += " · on " + builder.BuilderHost(r.BuiltOn)
		}
		second := human.Clean(r.Warning, r.Project)
		if r.Pushed() {
			second = strings.TrimSuffix("Pushed "+r.Push.Short()+"; "+second, "; ")
		}
		return Message{Title: title(name, what), Body: body(line, second), Group: r.Project, Project: r.Project}, true
	}
	key := string(r.Kind) + "\x00" + r.Message
	if p.lastFailure[r.Project] == key && !manual {
		return Message{}, false
	}
	p.lastFailure[r.Project] = key
	if r.Kind == builder.KindDocker {
		// The image is good: say so first, then what Docker said.
		_, why, _ := strings.Cut(firstLine(r.Message), "not loaded into Docker: ")
		line := fmt.Sprintf("%s is built (%s); Docker said: %s", nonEmpty(r.Image, filepath.Base(r.Output)), builder.HumanBytes(r.Bytes), why)
		return Message{Title: title(name, r.Kind.Title()), Body: body(line, human.Action(&r)), Group: r.Project, Project: r.Project}, true
	}
	return Message{Title: title(name, r.Kind.Title()), Body: body(human.FailingLine(&r), human.Action(&r)), Group: r.Project, Project: r.Project}, true
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func nonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
