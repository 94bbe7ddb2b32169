package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"nixpass/app/notify"
	"nixpass/app/tray"

	"nixpass/builder"
	"nixpass/builder/clean"
	"nixpass/builder/core"
)

func cmdApp(c *cli, ctx context.Context, args []string) int {
	fs := c.flags("app")
	headless := fs.Bool("headless", false, "run without the menu-bar icon, printing one line per event")
	asJSON := fs.Bool("json", false, "with --headless: print events as JSON lines")
	if _, code, ok := c.parseArgs(fs, args, 0, 0); !ok {
		return code
	}
	if *headless {
		return runHeadless(c, ctx, *asJSON)
	}
	return runTray(c, ctx)
}

// runTray shows the menu-bar icon; with no desktop to show it in, it runs
// headless and says so.
func runTray(c *cli, ctx context.Context) int {
	logf := func(format string, a ...any) { fmt.Fprintf(c.stderr, "nixpass: "+format+"\n", a...) }
	app, err := core.Start(c.cfgPath(), logf)
	if err != nil {
		return c.startFailed(err)
	}
	if m, err := c.loginAgent(); err == nil {
		app.SetLoginAgent(m)
	} else {
		logf("start at login: %v", err)
	}
	sender := notify.Default()
	policy := &notify.Policy{Success: app.Env().Config.Notify.Success,
		Name: func(dir string) string { return tray.NameOf(app.Snapshot(), dir) }}
	events, stop := app.Subscribe()
	defer stop()
	fb := &fallback{logf: logf, snapshot: app.Snapshot}
	go func() {
		// A builder found unavailable before this subscription is
		// announced too (the policy announces it once either way).
		if m, ok := policy.Decide(builder.BuilderChanged{At: builder.At{Time: time.Now()}, Status: app.Snapshot().Builder}); ok {
			if err := notify.Deliver(sender, m); err != nil {
				fb.failed(err)
			}
		}
		for ev := range events {
			if cp, ok := ev.(builder.ConfigProblem); ok {
				logf("%s", cp.Message)
			}
			if m, ok := policy.Decide(ev); ok {
				if err := notify.Deliver(sender, m); err != nil {
					fb.failed(err)
				}
			}
			if f, ok := ev.(builder.BuildFinished); ok {
				fb.finished(f)
			}
		}
	}()
	err = tray.Available()
	if errors.Is(err, tray.ErrNoTrayHost) {
		fb.noMenu()
		// A desktop without a tray host still shows notifications: keep
		// building and notifying until SIGINT/SIGTERM.
		logf("%v", err)
		app.BuildNeverBuilt()
		<-ctx.Done()
		app.Quit()
		return 0
	}
	if err == nil {
		app.BuildNeverBuilt()
		err = tray.Run(ctx, app, senderNotifier{sender}, logf)
	}
	if errors.Is(err, tray.ErrNoTray) {
		logf("%v: running headless", err)
		stop()
		app.Quit()
		return runHeadless(c, ctx, false)
	}
	if err != nil {
		app.Quit()
		return c.fail(err)
	}
	return 0
}

// senderNotifier lets the tray report action errors as notifications.
type senderNotifier struct{ s notify.Sender }

func (n senderNotifier) Notify(title, body string) error {
	return notify.Deliver(n.s, notify.Message{Title: title, Body: body, Group: "nixpass"})
}

// OnAction hands the notifications' buttons to the tray, where the
// sender has buttons (Linux servers that list actions).
func (n senderNotifier) OnAction(f func(project, action string)) {
	if a, ok := n.s.(notify.ActionSource); ok {
		a.OnAction(f)
	}
}

// runHeadless runs the watchers and the scheduler until SIGINT/SIGTERM.
func runHeadless(c *cli, ctx context.Context, asJSON bool) int {
	var mu sync.Mutex
	logf := func(format string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(c.stderr, "nixpass: "+format+"\n", a...)
	}
	app, err := core.Start(c.cfgPath(), logf)
	if err != nil {
		return c.fail(err)
	}
	events, stop := app.Bus.Subscribe()
	app.BuildNeverBuilt()
	printed := make(chan struct{})
	go func() {
		defer close(printed)
		for ev := range events {
			if cp, ok := ev.(builder.ConfigProblem); ok && !asJSON {
				logf("%s", cp.Message)
				continue
			}
			mu.Lock()
			printEvent(c.stdout, ev, asJSON)
			mu.Unlock()
		}
	}()
	logf("%s with %s; config %s", watchingLine(app.Snapshot().Projects), app.Env().Machine.Describe(), app.ConfigPath())
	<-ctx.Done()
	logf("%s", stoppingLine(app.Snapshot().Projects, app.Env().Config.Scheduler.OnQuit == "finish"))
	app.Quit()
	// Let the last events (the cancelled build's result) reach stdout.
	time.Sleep(100 * time.Millisecond)
	stop()
	<-printed
	return 0
}

// eventLine is one event as a JSON line: its type and its fields.
type eventLine struct {
	Type  string        `json:"type"`
	Event builder.Event `json:"event"`
}

func printEvent(w io.Writer, ev builder.Event, asJSON bool) {
	name := fmt.Sprintf("%T", ev)
	name = name[len("builder."):]
	if asJSON {
		b, err := json.Marshal(eventLine{Type: name, Event: ev})
		if err == nil {
			fmt.Fprintln(w, string(clean.JSON(b)))
		}
		return
	}
	var b strings.Builder
	printEventText(&b, ev)
	// Paths and names come from the user's files and the image: one
	// cleaning before the terminal.
	_, _ = io.WriteString(w, clean.Text(b.String()))
}

// printEventText writes ev as the lines `app` prints, its one-line fields
// cleaned (clean.Line).
func printEventText(w io.Writer, ev builder.Event) {
	at := ev.When().Format("15:04:05")
	switch e := ev.(type) {
	case builder.BuildQueued:
		fmt.Fprintf(w, "%s queued   %s (%s)\n", at, clean.Line(e.Project), clean.Line(e.Reason))
	case builder.BuildStarted:
		fmt.Fprintf(w, "%s building %s\n", at, clean.Line(e.Project))
	case builder.BuildPhase:
		fmt.Fprintf(w, "%s   %s: %s\n", at, clean.Line(e.Project), e.Phase)
	case builder.BuildLog:
		fmt.Fprintf(w, "%s   | %s\n", at, e.Line)
	case builder.BuildFinished:
		r := e.Result
		if r.Succeeded() {
			fmt.Fprintf(w, "%s ✓ %s: %s\n", at, clean.Line(r.Project), r.Message)
		} else {
			fmt.Fprintf(w, "%s ✗ %s: %s: %s\n%s   → %s\n", at, clean.Line(r.Project), r.Kind.Title(), firstLineOf(r.Message), at, r.Hint)
		}
	case builder.ProjectChanged:
		line := fmt.Sprintf("%s project  %s: %s", at, clean.Line(e.Project), e.State)
		if e.Problem != "" {
			line += " (" + e.Problem + ")"
		}
		fmt.Fprintln(w, line)
	case builder.PushProgress:
		fmt.Fprintf(w, "%s   %s\n", at, e.MenuLine(filepath.Base(e.Project)))
	case builder.BuilderChanged:
		fmt.Fprintf(w, "%s builder  %s %s %s\n", at, e.Status.Name, e.Status.State, e.Status.Problem)
	}
}

// watchingLine says how many projects are watched, and how many are
// registered but not watched (watch = false).
func watchingLine(ps []builder.ProjectStatus) string {
	watched := 0
	for _, p := range ps {
		if p.Watch {
			watched++
		}
	}
	if watched == len(ps) {
		return fmt.Sprintf("watching %d project(s)", watched)
	}
	return fmt.Sprintf("watching %d of %d project(s) (%d with watch = false build only when asked)", watched, len(ps), len(ps)-watched)
}

// stoppingLine says what quitting does to a running build, if any.
func stoppingLine(ps []builder.ProjectStatus, finish bool) string {
	for _, p := range ps {
		if p.State == builder.ProjectBuilding {
			if finish {
				return "stopping (finishing the running build of " + p.Path + ")"
			}
			return "stopping (cancelling the running build of " + p.Path + ")"
		}
	}
	return "stopping (nothing is building)"
}
