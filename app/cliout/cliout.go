// Package cliout is what both of nixpass's programs print on the command
// line: the full nixpass (app) and its lean front (app/fast), which must
// say a build's result, progress and version in the very same words. It
// links nothing beyond builder's shared words and the terminal cleaner.
package cliout

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"sync"

	"nixpass/builder"
	"nixpass/builder/clean"
	"nixpass/builder/shq"
)

// StaleEnv names the variable by which the lean front tells the full
// nixpass it handed a build over to that Nix just found that build's
// project (its request key, builder.Project.RequestKey) out of date.
const StaleEnv = "NIXPASS_FRONT_STALE"

// version is set by the Makefile with
// -ldflags "-X nixpass/app/cliout.version=...".
var version = ""

// Version is the build's version: the linker's, else the module's.
func Version() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "dev-" + s.Value[:12]
		}
	}
	return "dev"
}

// PrintVersion writes `nixpass version`'s line.
func PrintVersion(w io.Writer) {
	fmt.Fprintf(w, "nixpass %s (%s/%s, %s)\n", Version(), runtime.GOOS, runtime.GOARCH, runtime.Version())
}

// PrintJSON writes v as indented JSON to stdout, its values exact but
// for C1 controls escaped (clean.JSON).
func PrintJSON(stdout, stderr io.Writer, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		fmt.Fprintf(stderr, "nixpass: encode JSON: %v\n", err)
		return
	}
	_, _ = stdout.Write(append(clean.JSON(b), '\n'))
}

// PrintResult prints r for a terminal: every write cleaned of escape
// sequences and control characters (a result read from an older history
// may hold them), the image name, which the image's own manifest gives,
// and the paths cleaned as one-line fields.
func PrintResult(stdout, stderr io.Writer, r *builder.Result) {
	stdout, stderr = CleanWriter{stdout}, CleanWriter{stderr}
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

// Bar draws a push's progress (the full nixpass's progress bar).
type Bar interface {
	Update(builder.PushProgress)
	// Drawing reports whether the bar is on the screen.
	Drawing() bool
	Finish()
}

// Progress shows a build on stderr: on a terminal one short line per
// phase; otherwise (a pipe, a CI log) the full Nix log as it comes.
type Progress struct {
	w   io.Writer
	tty bool
	mu  sync.Mutex
	// Bar, when set, draws a push's bytes and layers on a terminal.
	Bar Bar
}

// NewProgress is a Progress writing to w.
func NewProgress(w io.Writer) *Progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil {
			tty = st.Mode()&os.ModeCharDevice != 0
		}
	}
	return &Progress{w: w, tty: tty}
}

// Event shows ev.
func (p *Progress) Event(ev builder.Event) {
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
		if p.Bar == nil {
			return
		}
		if p.tty && !p.Bar.Drawing() {
			fmt.Fprint(p.w, "\r\033[K")
		}
		p.Bar.Update(e)
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

// Done ends the progress line.
func (p *Progress) Done() {
	if p.Bar != nil {
		p.Bar.Finish()
	}
	if p.tty {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

// CleanWriter writes text for a terminal: each write is cleaned of escape
// sequences and control characters (clean.Text).
type CleanWriter struct{ W io.Writer }

func (c CleanWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(c.W, clean.Text(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}
