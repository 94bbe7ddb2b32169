package main

import (
	"context"
	"fmt"
	"io"
	"nixpass/builder/core"
	"os"
	"strings"
	"sync"

	"nixpass/builder"
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
	pr := newProgress(c.stderr)
	res := e.Builder(pr.event).Build(ctx, core.Request(*p))
	pr.done()
	if *asJSON {
		c.printJSON(res)
	} else {
		printResult(c.stdout, c.stderr, res)
	}
	return res.Kind.ExitCode()
}

func printResult(stdout, stderr io.Writer, r *builder.Result) {
	if r.Succeeded() {
		fmt.Fprintf(stdout, "✓ %s\n", r.Message)
		fmt.Fprintf(stdout, "  %s  %s  %s\n", r.Output, builder.HumanBytes(r.Bytes), r.Duration().Round(1e7))
		if r.Image != "" {
			fmt.Fprintf(stdout, "  image %s  (%s)\n", r.Image, shq.Join("docker", "load", "-i", r.Output))
		}
		if r.Warning != "" {
			fmt.Fprintf(stderr, "  warning: %s\n", r.Warning)
		}
		return
	}
	fmt.Fprintf(stderr, "✗ %s: %s\n", r.Kind.Title(), r.Message)
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
}

func newProgress(w io.Writer) *progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil {
			tty = st.Mode()&os.ModeCharDevice != 0
		}
	}
	return &progress{w: w, tty: tty}
}

func (p *progress) event(ev builder.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch e := ev.(type) {
	case builder.BuildPhase:
		if p.tty {
			fmt.Fprintf(p.w, "\r\033[K• %s…", e.Phase)
		} else {
			fmt.Fprintf(p.w, "nixpass: %s\n", e.Phase)
		}
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
	if p.tty {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
