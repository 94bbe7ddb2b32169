package tray

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/renameio/v2"

	"nixpass/app/human"
	"nixpass/builder"
	"nixpass/builder/clean"
	"nixpass/builder/config"
	"nixpass/builder/runner"
	"nixpass/builder/shq"
)

// reportName is the file name of a project's error report: its name and
// a short hash of its folder, so same-named folders never share one.
func reportName(dir string) string {
	sum := sha256.Sum256([]byte(filepath.Clean(dir)))
	return "last-error-" + safeName(filepath.Base(dir)) + "-" + hex.EncodeToString(sum[:4]) + ".txt"
}

// LogView is what "Show log" opens: a summary, then Nix's own lines, and
// nixpass's bookkeeping ("# " lines) at the end, as clean text.
func LogView(p builder.ProjectStatus, raw string, loc *time.Location) string {
	r := p.Last
	var b strings.Builder
	fmt.Fprintf(&b, "%s — %s, %s\n", p.Name, outcome(r), human.Time(r.Finished, time.Now(), loc))
	if Failed(r) {
		fmt.Fprintf(&b, "What failed: %s\n", human.FailingLine(r))
		if a := human.Action(r); a != "" {
			fmt.Fprintf(&b, "What to do: %s\n", a)
		}
	}
	fmt.Fprintf(&b, "Project: %s\n\n", p.Path)
	var nix, books []string
	sc := bufio.NewScanner(strings.NewReader(raw))
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		if l := sc.Text(); strings.HasPrefix(l, "# ") {
			books = append(books, l)
		} else {
			nix = append(nix, l)
		}
	}
	b.WriteString("── Nix ──\n")
	b.WriteString(strings.Trim(strings.Join(nix, "\n"), "\n") + "\n\n")
	b.WriteString("── nixpass ──\n")
	b.WriteString(strings.Join(books, "\n") + "\n")
	b.WriteString("Full log: " + r.Log + "\n")
	// Nix's lines and the paths come from builds and the user's files:
	// one cleaning before an editor shows them.
	return clean.Text(b.String())
}

func outcome(r *builder.Result) string {
	if r.Succeeded() {
		return "built"
	}
	return r.Kind.Title()
}

// writeLogView writes LogView next to the stored log (0600: logs may
// quote the user's environment) and returns its path.
func writeLogView(p builder.ProjectStatus, loc *time.Location) (string, error) {
	raw, err := os.ReadFile(p.Last.Log)
	if err != nil {
		return "", err
	}
	path := strings.TrimSuffix(p.Last.Log, filepath.Ext(p.Last.Log)) + ".view.txt"
	if err := renameio.WriteFile(path, []byte(LogView(p, string(raw), loc)), 0o600); err != nil {
		return "", err
	}
	return path, os.Chmod(path, 0o600)
}

// clipboardCommands are the copy tools tried in order, with their argv.
var clipboardCommands = [][]string{{"pbcopy"}, {"wl-copy"}, {"xclip", "-selection", "clipboard"}, {"xsel", "--clipboard", "--input"}}

// clipboardTool is the first copy tool present, nil when none is:
// "Copy docker load command" is hidden then.
func clipboardTool() []string {
	for _, c := range clipboardCommands {
		if c[0] == "wl-copy" && os.Getenv("WAYLAND_DISPLAY") == "" {
			continue
		}
		if _, err := exec.LookPath(c[0]); err == nil {
			return c
		}
	}
	return nil
}

// LoadCommand is the shell command that loads the project's image.
func LoadCommand(output string) string { return shq.Join("docker", "load", "-i", output) }

func copyLoadCommand(ctx context.Context, s builder.Snapshot, dir string) error {
	p, ok := findProject(s, dir)
	if !ok || p.Last == nil || p.Last.Output == "" {
		return errors.New("no image yet")
	}
	tool := clipboardTool()
	if tool == nil {
		return errors.New("no clipboard tool: install wl-clipboard, xclip or xsel")
	}
	_, err := runner.Exec{}.Run(ctx, runner.Cmd{Name: tool[0], Args: tool[1:], Stdin: strings.NewReader(LoadCommand(p.Last.Output))})
	return err
}

func findProject(s builder.Snapshot, dir string) (builder.ProjectStatus, bool) {
	for _, p := range s.Projects {
		if p.Path == dir {
			return p, true
		}
	}
	return builder.ProjectStatus{}, false
}

// HistoryView is the text "Show history…" opens: dir's builds, newest
// first, one line each with the menu's marks and times (LastLineAt), the
// image when there is one.
func HistoryView(dir string, builds []builder.Result, loc *time.Location, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "nixpass · %s: history, newest first\n%s\n\n", filepath.Base(dir), dir)
	if len(builds) == 0 {
		b.WriteString("no builds yet\n")
	}
	for i := range builds {
		r := &builds[i]
		line := LastLineAt(builder.ProjectStatus{Path: dir, Last: r}, loc, now)
		if r.Succeeded() && r.Image != "" {
			line += " · " + r.Image
		}
		b.WriteString(line + "\n")
	}
	return clean.Text(b.String())
}

// showHistory writes HistoryView into the state folder (0600) and opens
// it.
func showHistory(ctx context.Context, c Core, dir string) error {
	builds, err := c.History(dir)
	if err != nil {
		return err
	}
	state, err := config.StateDir()
	if err != nil {
		return err
	}
	name := strings.TrimSuffix(reportName(dir), ".txt")
	name = "history-" + strings.TrimPrefix(name, "last-error-") + ".txt"
	if err := os.MkdirAll(state, 0o700); err != nil {
		return fmt.Errorf("show history: %w", err)
	}
	path := filepath.Join(state, name)
	if err := renameio.WriteFile(path, []byte(HistoryView(dir, builds, time.Local, time.Now())), 0o600); err != nil {
		return fmt.Errorf("show history: %w", err)
	}
	return openFile(ctx, path)
}
