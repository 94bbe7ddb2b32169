// Package human formats what nixpass shows people (the menu, the
// tooltip, notifications): times, durations, one mark and one short
// action per outcome kind, and lines cut so the remedy still shows. The
// CLI, the error report and JSON keep the full text. Terminal cleaning is
// builder/clean's; human only rewrites what it leaves.
package human

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"nixpass/builder"
	"nixpass/builder/clean"
)

// Time is t for people: "15:35" today, "3 Dec 15:35" this year,
// "3 Dec 2025 15:35" before.
func Time(t, now time.Time, loc *time.Location) string {
	t, now = t.In(loc), now.In(loc)
	switch {
	case t.Year() == now.Year() && t.YearDay() == now.YearDay():
		return t.Format("15:04")
	case t.Year() == now.Year():
		return t.Format("2 Jan 15:04")
	}
	return t.Format("2 Jan 2006 15:04")
}

// Duration is d for people, in one form everywhere: "0.5 s", "41 s",
// "2 min 5 s", "1 h 3 min".
func Duration(d time.Duration) string {
	switch {
	case d < 10*time.Second:
		s := fmt.Sprintf("%.1f", d.Seconds())
		return strings.TrimSuffix(s, ".0") + " s"
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Round(time.Second).Seconds()))
	case d < time.Hour:
		d = d.Round(time.Second)
		if s := int(d.Seconds()) % 60; s != 0 {
			return fmt.Sprintf("%d min %d s", int(d.Minutes()), s)
		}
		return fmt.Sprintf("%d min", int(d.Minutes()))
	}
	d = d.Round(time.Minute)
	if m := int(d.Minutes()) % 60; m != 0 {
		return fmt.Sprintf("%d h %d min", int(d.Hours()), m)
	}
	return fmt.Sprintf("%d h", int(d.Hours()))
}

// face is how one outcome kind looks: its mark beside the project's name
// and the short action shown when the diagnosis gives none.
type face struct{ mark, action string }

// faces is the one table of marks and default actions per kind; a new
// kind adds its row here.
var faces = map[builder.Kind]face{
	builder.KindOK:          {"✓", ""},
	builder.KindConfig:      {"⚙", "Fix the project's settings in the config"},
	builder.KindEval:        {"✗", "Fix the Nix expression"},
	builder.KindBuild:       {"✗", "Show log"},
	builder.KindOOM:         {"▲", "Give the build more memory"},
	builder.KindDiskFull:    {"▣", "Free disk space on the builder"},
	builder.KindUnavailable: {"⊘", "Start the builder"},
	builder.KindTimeout:     {"⌛", "Raise the build timeout or Show log"},
	builder.KindCancelled:   {"·", ""},
	builder.KindNetwork:     {"⇣", "Check the network, then Build again"},
	builder.KindPlatform:    {"⊗", "Set up emulation or drop the project's system"},
	builder.KindDocker:      {"◐", "Start Docker, then Load into Docker"},
}

// Mark is the one-character mark of kind k.
func Mark(k builder.Kind) string {
	if f, ok := faces[k]; ok {
		return f.mark
	}
	return "✗"
}

// Action is the short remedy for r: the diagnosis's own when it gave one,
// else its kind's.
func Action(r *builder.Result) string {
	if r == nil {
		return ""
	}
	if a := strings.TrimSpace(r.Action); a != "" {
		return a
	}
	return faces[r.Kind].action
}

// Cut shortens s to at most n characters, on a word boundary when one is
// near, ending with "…".
func Cut(s string, n int) string {
	s = strings.TrimSpace(s)
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	cut := string(r[:n-1])
	if i := strings.LastIndexByte(cut, ' '); i > len(cut)*2/3 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,;:·") + "…"
}

var (
	reStorePath = regexp.MustCompile(`/nix/store/[0-9a-z]{32}-([^\s'"/:]+)[^\s'":]*`)
	reCgroup    = regexp.MustCompile(`\(?/sys/fs/cgroup/\S*\)?|\(?cgroup[^)]*\)`)
	rePathList  = regexp.MustCompile(`(\S*/[^\s:]*:){3,}\S*`)
	reSpaces    = regexp.MustCompile(`\s{2,}`)
	// reCommand is the command a builder problem quotes first:
	// `multipass info "nixpass": `.
	reCommand = regexp.MustCompile(`^multipass [a-z-]+[^:]*: `)
)

// Clean makes a line fit for people: one clean line (clean.Line drops
// terminal escapes and controls), store paths become their names, cgroup
// paths, PATH-like lists and a quoted multipass command go, and files
// inside project are named relative to it.
func Clean(s, project string) string {
	s = reCommand.ReplaceAllString(strings.TrimSpace(clean.Line(s)), "")
	s = rePathList.ReplaceAllString(s, "")
	s = reCgroup.ReplaceAllString(s, "")
	s = reStorePath.ReplaceAllString(s, "$1")
	if project != "" {
		s = strings.ReplaceAll(s, filepath.Clean(project)+"/", "")
	}
	return strings.TrimSpace(reSpaces.ReplaceAllString(s, " "))
}

// FailingLine is what failed, in one line: a build failure's last line
// from the builder (Nix prefixes them "> "), else the message's first.
func FailingLine(r *builder.Result) string {
	lines := strings.Split(strings.TrimSpace(r.Message), "\n")
	if r.Kind == builder.KindBuild {
		for i := len(lines) - 1; i > 0; i-- {
			l := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(lines[i]), ">"))
			if l != "" && !strings.HasPrefix(l, "For full logs") {
				return Clean(l, r.Project)
			}
		}
	}
	return Clean(lines[0], r.Project)
}
