// Package tray is nixpass's menu-bar presentation: a pure function from a
// state snapshot to a menu model (table-tested), and a thin adapter that
// shows the model with fyne.io/systray.
//
// It may import builder (the root), clean, config, runner, shq, tools,
// app/human and assets; nothing under builder/ imports app.
package tray

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"nixpass/app/human"
	"nixpass/assets"
	"nixpass/builder"
	"nixpass/builder/clean"
)

// Item is one menu entry as it should look.
type Item struct {
	// Key names the action of the item ("build", "cancel", ...).
	Key       string
	Title     string
	Enabled   bool
	Visible   bool
	Checkable bool
	Checked   bool
}

// ProjectMenu is the submenu of one project.
type ProjectMenu struct {
	Dir   string
	Title string
	Items []Item
}

// Model is the whole menu, derived from a snapshot alone.
type Model struct {
	Icon     assets.Icon
	Tooltip  string
	Builder  []Item
	Projects []ProjectMenu
	Global   []Item
}

// Build derives the menu from s, with times in loc.
func Build(s builder.Snapshot, loc *time.Location) Model {
	return BuildAt(s, loc, time.Now())
}

// lineMax is how many characters of text fit a menu line (the menu grows
// as wide as its widest line; 1280 px ran off the screen).
const lineMax = 60

// BuildAt is Build with now given, for tests.
func BuildAt(s builder.Snapshot, loc *time.Location, now time.Time) Model {
	m := Model{Icon: IconFor(s), Tooltip: Summary(s)}
	vm := s.Builder.Backend == "multipass"
	st := s.Builder.State
	running := vm && st == builder.BuilderRunning
	startable := vm && (st == builder.BuilderStopped || st == builder.BuilderSuspended || st == builder.BuilderMissing)
	exists := vm && st != builder.BuilderUnavailable && st != builder.BuilderMissing
	hint := human.Cut(firstLine(s.Builder.Hint), lineMax)
	m.Builder = []Item{
		{Key: "status", Title: human.Cut(BuilderLine(s.Builder), lineMax), Visible: true},
		{Key: "hint", Title: "→ " + hint, Visible: hint != "" && st != builder.BuilderRunning},
		// Clicking it opens the config.
		{Key: "configproblem", Title: configLine(s.ConfigProblem), Enabled: true, Visible: s.ConfigProblem != nil},
		{Key: "start", Title: startTitle(st), Enabled: startable, Visible: vm},
		{Key: "stop", Title: "Stop builder", Enabled: running, Visible: vm},
		{Key: "resize", Title: "Resize…", Enabled: exists, Visible: vm},
		{Key: "shell", Title: "Open shell", Enabled: running, Visible: vm},
		{Key: "delete", Title: "Delete builder…", Enabled: exists, Visible: vm},
	}
	names := map[string]int{}
	for _, p := range s.Projects {
		names[p.Name]++
	}
	for _, p := range s.Projects {
		m.Projects = append(m.Projects, projectMenu(p, names[p.Name] > 1, loc, now))
	}
	m.Global = []Item{
		{Key: "empty", Title: "No projects yet: add a folder with a default.nix", Visible: len(s.Projects) == 0},
		{Key: "add", Title: "Add project…", Enabled: true, Visible: true},
		{Key: "buildall", Title: "Build all", Enabled: len(s.Projects) > 0, Visible: true},
		{Key: "config", Title: "Open config", Enabled: true, Visible: true},
		{Key: "login", Title: "Start at login", Enabled: true, Visible: true, Checkable: true, Checked: s.StartAtLogin},
		{Key: "quit", Title: "Quit nixpass", Enabled: true, Visible: true},
	}
	m.clean()
	return m
}

// clean makes every text of the menu one clean line: project paths and
// image names come from the user's files and the image's manifest.
func (m *Model) clean() {
	m.Tooltip = clean.Line(m.Tooltip)
	cleanItems(m.Builder)
	cleanItems(m.Global)
	for i := range m.Projects {
		m.Projects[i].Title = clean.Line(m.Projects[i].Title)
		cleanItems(m.Projects[i].Items)
	}
}

func cleanItems(items []Item) {
	for i := range items {
		items[i].Title = clean.Line(items[i].Title)
	}
}

func startTitle(st builder.BuilderState) string {
	if st == builder.BuilderMissing {
		return "Create builder"
	}
	return "Start builder"
}

// IconFor picks the menu-bar icon. Precedence: a build running shows
// building; a builder the user must fix shows stopped; a project whose
// last build failed shows failed; otherwise idle. A VM that is merely
// stopped starts on demand, so it is not a problem to show.
func IconFor(s builder.Snapshot) assets.Icon {
	for _, p := range s.Projects {
		if p.State == builder.ProjectBuilding {
			return assets.Building
		}
	}
	switch s.Builder.State {
	case builder.BuilderUnavailable, builder.BuilderDeleted:
		return assets.Stopped
	}
	for _, p := range s.Projects {
		if p.State == builder.ProjectMissing || (p.Last != nil && !p.Last.Succeeded() && p.Last.Kind != builder.KindCancelled) {
			return assets.Failed
		}
	}
	if s.Builder.State == builder.BuilderMissing {
		return assets.Stopped
	}
	return assets.Idle
}

// BuilderLine is the first line of the menu.
func BuilderLine(b builder.BuilderStatus) string {
	if b.Backend == "local" {
		if b.State == builder.BuilderUnavailable {
			return "Builder: " + human.Clean(firstLine(b.Problem), "")
		}
		return "Builder: this machine (local Nix)"
	}
	switch b.State {
	case builder.BuilderRunning:
		parts := []string{"Builder: Running"}
		if b.CPUs > 0 {
			parts = append(parts, fmt.Sprintf("%d CPUs", b.CPUs))
		}
		if b.Memory > 0 {
			parts = append(parts, builder.HumanGiB(roundGiB(b.Memory)))
		}
		return strings.Join(parts, " · ")
	case builder.BuilderStopped:
		return "Builder: Stopped (starts on demand)"
	case builder.BuilderSuspended:
		return "Builder: Suspended (starts on demand)"
	case builder.BuilderStarting:
		return "Builder: Starting…"
	case builder.BuilderMissing:
		return "Builder: not created yet"
	case builder.BuilderDeleted:
		return "Builder: deleted"
	case builder.BuilderUnavailable:
		return "Builder: " + human.Clean(firstLine(b.Problem), "")
	}
	return "Builder: checking…"
}

func roundGiB(n int64) int64 { return (n + 1<<29) >> 30 << 30 }

// DisplayName is the project's name, with its parent folder when
// another project has the same name: "api (work)".
func DisplayName(p builder.ProjectStatus, twin bool) string {
	if !twin {
		return p.Name
	}
	return p.Name + " (" + filepath.Base(filepath.Dir(p.Path)) + ")"
}

// NameOf is how the menu names the project in dir: DisplayName among s's
// projects, or the folder's base name when it is not registered.
func NameOf(s builder.Snapshot, dir string) string {
	n, me := 0, builder.ProjectStatus{Path: dir, Name: filepath.Base(dir)}
	for _, p := range s.Projects {
		if p.Path == dir {
			me = p
		}
	}
	for _, p := range s.Projects {
		if p.Name == me.Name {
			n++
		}
	}
	return DisplayName(me, n > 1)
}

func projectMenu(p builder.ProjectStatus, twin bool, loc *time.Location, now time.Time) ProjectMenu {
	busy := p.State == builder.ProjectBuilding || p.State == builder.ProjectQueued
	good := p.Last != nil && p.Last.Succeeded()
	// Built but not loaded: the image file is good, so loading it again
	// is the remedy the menu offers.
	notLoaded := p.Last != nil && p.Last.Kind == builder.KindDocker
	dockerTitle := "Load into Docker"
	if notLoaded {
		dockerTitle = "Load into Docker (not loaded yet)"
	}
	failed := Failed(p.Last)
	var errLine, action string
	if failed {
		errLine, action = human.Cut(human.FailingLine(p.Last), lineMax), human.Cut(human.Action(p.Last), lineMax)
	}
	image := ""
	if p.Last != nil && (good || notLoaded) {
		image = p.Last.Image
	}
	title := projectMark(p) + " " + DisplayName(p, twin)
	if p.Last != nil && !busy && p.State != builder.ProjectMissing {
		title += " · " + human.Time(p.Last.Finished, now, loc)
	}
	buildTitle := "Build now"
	if busy {
		buildTitle = "Restart build"
	}
	return ProjectMenu{
		Dir:   p.Path,
		Title: title,
		Items: []Item{
			{Key: "progress", Title: progressLine(p, loc, now), Visible: busy},
			{Key: "last", Title: LastLineAt(p, loc, now), Visible: true},
			{Key: "image", Title: "Image: " + image, Visible: image != ""},
			// The diagnosis never lives only in a notification, which
			// macOS may not show at all.
			{Key: "pushed", Title: pushedTitle(p.Last), Visible: p.Last.Pushed()},
			{Key: "error", Title: errLine, Visible: failed && errLine != ""},
			{Key: "errorhint", Title: "→ " + action, Visible: failed && action != ""},
			{Key: "lasterror", Title: "Show last error…", Enabled: failed, Visible: failed},
			{Key: "build", Title: buildTitle, Enabled: p.State != builder.ProjectMissing, Visible: true},
			// An OOM at one job without auto_grow: until the next build.
			{Key: "growbuild", Title: growTitle(p), Enabled: !busy && p.State != builder.ProjectMissing, Visible: p.Last != nil && p.Last.GrowMemory > 0},
			{Key: "cancel", Title: "Cancel build", Enabled: busy, Visible: true},
			{Key: "watch", Title: "Auto-build", Enabled: true, Visible: true, Checkable: true, Checked: p.Watch},
			{Key: "docker", Title: dockerTitle, Enabled: good || notLoaded, Visible: true},
			{Key: "copyload", Title: "Copy docker load command", Enabled: true, Visible: image != "" || hasOutput(p.Last, good || notLoaded)},
			{Key: "showimage", Title: "Show image in folder", Enabled: true, Visible: image != "" || hasOutput(p.Last, good || notLoaded)},
			{Key: "reveal", Title: revealTitle, Enabled: p.State != builder.ProjectMissing, Visible: true},
			{Key: "log", Title: "Show log", Enabled: p.Last != nil && p.Last.Log != "", Visible: true},
			{Key: "history", Title: "Show history…", Enabled: p.Last != nil, Visible: true},
			{Key: "remove", Title: "Remove project", Enabled: true, Visible: true},
		},
	}
}

// growTitle is "Rebuild NAME with N GB" for a project whose last build
// ran out of memory at one job.
func growTitle(p builder.ProjectStatus) string {
	if p.Last == nil || p.Last.GrowMemory <= 0 {
		return ""
	}
	return fmt.Sprintf("Rebuild %s with %s", p.Name, strings.Replace(builder.HumanGiB(p.Last.GrowMemory), "GiB", "GB", 1))
}

func hasOutput(r *builder.Result, usable bool) bool { return usable && r != nil && r.Output != "" }

// progressLine is "building since 15:35 · evaluating" (a start time, not a
// ticking counter), or "queued".
func progressLine(p builder.ProjectStatus, loc *time.Location, now time.Time) string {
	if p.State == builder.ProjectQueued {
		return "queued"
	}
	line := "building"
	if !p.Since.IsZero() {
		line += " since " + human.Time(p.Since, now, loc)
	}
	if p.Progress != "" {
		line += " · " + p.Progress
	}
	return human.Cut(line, lineMax)
}

// pushedTitle is the menu's "Pushed REF@sha256:0123456789ab…" line.
func pushedTitle(r *builder.Result) string {
	if !r.Pushed() {
		return ""
	}
	return human.Cut("Pushed "+r.Push.Short(), lineMax)
}

func projectMark(p builder.ProjectStatus) string {
	switch {
	case p.State == builder.ProjectBuilding:
		return "◌"
	case p.State == builder.ProjectQueued:
		return "…"
	case p.State == builder.ProjectMissing:
		return "?"
	case p.Last == nil:
		return "·"
	}
	return human.Mark(p.Last.Kind)
}

// LastLine is a project's last result: "✓ 12:03 · 84 MB · 41 s"
// (followed by " · linux/arm64" when the image's platform is known),
// "▲ out of memory at 12:10"; the last result stays shown while a build
// runs.
func LastLine(p builder.ProjectStatus, loc *time.Location) string {
	return LastLineAt(p, loc, time.Now())
}

// LastLineAt is LastLine with now given, for tests.
func LastLineAt(p builder.ProjectStatus, loc *time.Location, now time.Time) string {
	r := p.Last
	if p.State == builder.ProjectMissing {
		return "folder missing"
	}
	if r == nil {
		return "not built yet"
	}
	at := human.Time(r.Finished, now, loc)
	if r.Succeeded() {
		platform := ""
		if r.Platform != "" {
			platform = " · " + r.Platform
		}
		if r.UpToDate {
			return "✓ " + at + " · up to date" + platform
		}
		label := fmt.Sprintf("✓ %s · %s · %s%s", at, builder.HumanBytes(r.Bytes), human.Duration(r.Duration()), platform)
		if r.BuiltOn != "" && r.BuiltOn != builder.BuiltLocal {
			label += " · on " + builder.BuilderHost(r.BuiltOn)
		}
		if r.Cache != nil && r.Cache.Paths > 0 && r.Cache.Error == "" {
			label += " · uploaded"
		}
		return label
	}
	if r.Kind == builder.KindCancelled {
		return "cancelled at " + at
	}
	if r.Kind == builder.KindDocker || r.Kind == builder.KindPush || r.Kind == builder.KindCache {
		return fmt.Sprintf("%s %s · %s · %s", human.Mark(r.Kind), at, builder.HumanBytes(r.Bytes), r.Kind.Title())
	}
	return human.Mark(r.Kind) + " " + r.Kind.Title() + " at " + at
}

// Failed reports whether r is a failure worth showing: not a success,
// not a cancel.
func Failed(r *builder.Result) bool {
	return r != nil && !r.Succeeded() && r.Kind != builder.KindCancelled
}

// ErrorReport is the full text "Show last error…" shows: what failed,
// the whole message (with the log lines it quotes), what to do, and
// where the log is.
func ErrorReport(p builder.ProjectStatus, loc *time.Location) (title, text string) {
	defer func() { title, text = clean.Line(title), clean.Text(text) }()
	r := p.Last
	title = p.Name + ": " + r.Kind.Title()
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %s\n\n", r.Kind.Title(), r.Finished.In(loc).Format("2006-01-02 15:04"))
	b.WriteString(strings.TrimSpace(r.Message))
	if r.Hint != "" {
		b.WriteString("\n\nWhat to do: " + strings.TrimSpace(r.Hint))
	}
	if r.Log != "" {
		b.WriteString("\n\nLog: " + r.Log)
	}
	return title, b.String()
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
