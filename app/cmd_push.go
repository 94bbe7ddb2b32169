package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"nixpass/builder"
	"nixpass/builder/core"
)

// pushOutput is what `nixpass push --json` prints: the project, the
// outcome, and the "push" object.
type pushOutput struct {
	Project string              `json:"project"`
	Status  string              `json:"status"`
	Kind    builder.Kind        `json:"kind"`
	Message string              `json:"message"`
	Hint    string              `json:"hint,omitempty"`
	Image   string              `json:"image"`
	Push    *builder.PushResult `json:"push"`
}

// cmdPush pushes the project's last good image, without building, to
// --to or the project's push ref.
func cmdPush(c *cli, ctx context.Context, args []string) int {
	fs := c.flags("push")
	to := fs.String("to", "", "push to REGISTRY/REPO[:TAG] instead of the project's push key")
	fs.Bool("json", false, "print the result as one JSON object")
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
	ref := *to
	if p, ok := e.Config.Project(dir); ok && ref == "" {
		ref = p.Push
	}
	if ref == "" {
		return c.fail(builder.Errorf(builder.KindConfig, fmt.Sprintf(`Give --to REGISTRY/REPO[:TAG], or set push = "REGISTRY/REPO[:TAG]" in the project's table (nixpass add %s --push REF).`, dir),
			"%s has no push ref", dir))
	}
	file, _ := e.Store.LastGoodImage(dir)
	if file == "" {
		return c.fail(builder.Errorf(builder.KindConfig, "Run `nixpass build "+dir+"` first.",
			"%s has no good image to push: build first", dir))
	}
	req := builder.Project{Dir: dir}
	if p, ok := e.Config.Project(dir); ok {
		req = core.Request(*p)
	}
	bar := newPushBar(c.stderr, c.json)
	var log io.Writer
	if !bar.tty && !c.json {
		log = c.stderr
	}
	res, err := e.Builder(bar.event).PushImage(ctx, req, ref, log)
	bar.Finish()
	out := pushOutput{Project: dir, Status: builder.StatusSucceeded, Kind: builder.KindOK, Image: file, Push: res}
	if err != nil {
		be := &builder.Error{Kind: builder.KindPush, Message: err.Error(), Err: err}
		errors.As(err, &be)
		out.Status, out.Kind, out.Message, out.Hint = builder.StatusFailed, be.Kind, be.Message, be.Hint
	} else {
		out.Message = fmt.Sprintf("pushed %s", res.Ref)
	}
	if c.json {
		c.printJSON(out)
		return out.Kind.ExitCode()
	}
	if err != nil {
		fmt.Fprintf(c.stderr, "✗ %s\n", out.Message)
		if out.Hint != "" {
			fmt.Fprintf(c.stderr, "  → %s\n", out.Hint)
		}
		return out.Kind.ExitCode()
	}
	fmt.Fprintf(c.stdout, "✓ pushed %s@%s\n  %d layers uploaded (%s), %d already there\n",
		res.Ref, res.Digest, res.LayersUploaded, builder.HumanBytes(res.BytesUploaded), res.LayersExisting)
	for _, pl := range res.Platforms {
		// A manifest list: one line per platform's manifest.
		fmt.Fprintf(c.stdout, "  %s %s\n", pl.Platform, pl.Digest)
	}
	return 0
}

// pushBar draws a push's progress (bytes and layers) on a terminal, and
// nothing elsewhere.
type pushBar struct {
	w   io.Writer
	tty bool
	bar *progressbar.ProgressBar
}

func newPushBar(w io.Writer, asJSON bool) *pushBar {
	b := &pushBar{w: w}
	if f, ok := w.(*os.File); ok && !asJSON {
		b.tty = term.IsTerminal(int(f.Fd()))
	}
	return b
}

// event draws the push's progress events and ignores the others.
func (b *pushBar) event(ev builder.Event) {
	if p, ok := ev.(builder.PushProgress); ok {
		b.Update(p)
	}
}

// Update draws p (cliout.Bar).
func (b *pushBar) Update(p builder.PushProgress) {
	if !b.tty || p.BytesTotal == 0 {
		return
	}
	if b.bar == nil {
		b.bar = progressbar.NewOptions64(p.BytesTotal, progressbar.OptionSetWriter(b.w), progressbar.OptionShowBytes(true),
			progressbar.OptionSetWidth(30), progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(100e6))
	}
	b.bar.Describe(fmt.Sprintf("Pushing %s: %d/%d layers", filepath.Base(p.Project), p.Layers, p.LayersTotal))
	_ = b.bar.Set64(p.Bytes)
}

// Drawing reports whether the bar is on the screen (cliout.Bar).
func (b *pushBar) Drawing() bool { return b.bar != nil }

// Finish clears the bar (cliout.Bar).
func (b *pushBar) Finish() {
	if b.bar != nil {
		_ = b.bar.Finish()
	}
}
