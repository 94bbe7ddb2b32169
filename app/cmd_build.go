package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"nixpass/builder/build"
	"nixpass/builder/core"

	"nixpass/builder"
	"nixpass/builder/clean"
	"nixpass/builder/config"
	"nixpass/builder/shq"
)

func cmdBuild(c *cli, ctx context.Context, args []string) int {
	fs := c.flags("build")
	asJSON := fs.Bool("json", false, "print the result as one JSON object")
	pos, code, ok := c.parseArgs(fs, args, 0, 1)
	if !ok {
		return code
	}
	dir, err := absDir(strings.Join(pos, ""))
	if err != nil {
		return c.fail(err)
	}
	e, err := c.load()
	if err != nil {
		return c.fail(err)
	}
	p, ok := e.Config.Project(dir)
	if !ok {
		np := config.NewProject(dir)
		p = &np
	}
	req := core.Request(*p)
	if err := build.CheckSource(req); err != nil {
		return c.fail(err)
	}
	// One build per request: a build of the same request already running
	// (the app builds a project as soon as it is added) is joined when it
	// builds the derivations the project evaluates to now.
	var res *builder.Result
	drv := &build.Builder{Machine: e.Machine}
	if m, ok := joinable(ctx, e.Store, drv, req, cleanWriter{c.stderr}); ok {
		fmt.Fprintf(c.stderr, "nixpass: %s is being built already (pid %d, since %s): waiting for that build; log %s\n",
			clean.Line(dir), m.PID, m.Started.Local().Format("15:04:05"), clean.Line(m.Log))
		var logw io.Writer = io.Discard
		if !*asJSON {
			logw = cleanWriter{c.stderr}
		}
		res = join(ctx, e.Store, drv, req, m, logw)
		switch {
		case res == nil && ctx.Err() != nil:
			res = &builder.Result{Project: dir, Status: builder.StatusFailed, Kind: builder.KindCancelled,
				Message: "stopped waiting for the running build of " + dir, Hint: "that build goes on in the nixpass that started it (pid " + fmt.Sprint(m.PID) + ")"}
		case res == nil:
			fmt.Fprintln(c.stderr, "nixpass: that build ended without a result; building here")
		}
	}
	if res == nil {
		pr := newProgress(c.stderr)
		res = e.Builder(pr.event).Build(ctx, req)
		pr.done()
	}
	if *asJSON {
		c.printJSON(res)
	} else {
		printResult(c.stdout, c.stderr, res)
	}
	return res.Kind.ExitCode()
}

// printResult prints r for a terminal: every write cleaned of escape
// sequences and control characters (a result read from an older history
// may hold them), the image name, which the image's own manifest gives,
// and the paths cleaned as one-line fields.
func printResult(stdout, stderr io.Writer, r *builder.Result) {
	stdout, stderr = cleanWriter{stdout}, cleanWriter{stderr}
	if r.Succeeded() {
		fmt.Fprintf(stdout, "✓ %s\n", r.Message)
		fmt.Fprintf(stdout, "  %s  %s  %s\n", clean.Line(r.Output), builder.HumanBytes(r.Bytes), r.Duration().Round(1e7))
		if r.Image != "" {
			platform := ""
			if r.Platform != "" {
				platform = " (" + r.Platform + ")"
			}
			fmt.Fprintf(stdout, "  image %s%s  (%s)\n", clean.Line(r.Image), clean.Line(platform), shq.Join("docker", "load", "-i", clean.Line(r.Output)))
		}
		// "local" is worth saying only when remote builders were passed
		// over, which the warning then explains.
		if r.BuiltOn != "" && (r.BuiltOn != builder.BuiltLocal || r.Warning != "") {
			fmt.Fprintf(stdout, "  built on %s\n", r.BuiltOn)
		}
		if r.Warning != "" {
			fmt.Fprintf(stderr, "  warning: %s\n", r.Warning)
		}
		return
	}
	if r.Kind == builder.KindDocker || r.Kind == builder.KindPush || r.Kind == builder.KindCache {
		// The message says it was built and why Docker, the registry or
		// the cache did not take it.
		fmt.Fprintf(stderr, "✗ %s\n  %s  %s (kept, the last good image)\n", r.Message, r.Output, builder.HumanBytes(r.Bytes))
	} else {
		fmt.Fprintf(stderr, "✗ %s: %s\n", r.Kind.Title(), r.Message)
	}
	if r.Hint != "" {
		fmt.Fprintf(stderr, "  → %s\n", r.Hint)
	}
	if r.Log != "" {
		fmt.Fprintf(stderr, "  log: %s\n", r.Log)
	}
}

// progress shows a build on stderr: on a terminal one short line per
// phase; otherwise (a pipe, a CI log) the full Nix log as it comes.
type progress struct {
	w   io.Writer
	tty bool
	mu  sync.Mutex
	// bar draws a push's bytes and layers on a terminal.
	bar *pushBar
}

func newProgress(w io.Writer) *progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil {
			tty = st.Mode()&os.ModeCharDevice != 0
		}
	}
	return &progress{w: w, tty: tty, bar: newPushBar(w, false)}
}

func (p *progress) event(ev builder.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch e := ev.(type) {
	case builder.BuildPhase:
		what := e.Phase
		if e.Detail != "" {
			what += ": " + e.Detail
		}
		if p.tty {
			if len(what) > 76 {
				what = what[:76] + "…"
			}
			fmt.Fprintf(p.w, "\r\033[K• %s…", what)
		} else {
			fmt.Fprintf(p.w, "nixpass: %s\n", what)
		}
	case builder.PushProgress:
		if p.tty && p.bar.bar == nil {
			fmt.Fprint(p.w, "\r\033[K")
		}
		p.bar.update(e)
	case builder.BuildLog:
		if p.tty {
			line := e.Line
			if len(line) > 70 {
				line = line[:70] + "…"
			}
			fmt.Fprintf(p.w, "\r\033[K• %s", line)
		} else {
			fmt.Fprintln(p.w, e.Line)
		}
	}
}

func (p *progress) done() {
	p.bar.finish()
	if p.tty {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

// cleanWriter writes text for a terminal: each write is cleaned of
// escape sequences and control characters (clean.Text).
type cleanWriter struct{ w io.Writer }

func (c cleanWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(c.w, clean.Text(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}
