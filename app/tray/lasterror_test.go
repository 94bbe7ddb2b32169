package tray

import (
	"strings"
	"testing"
	"time"

	"nixpass/builder"
)

// TestLastErrorInTheMenu: a failed project's submenu shows the failure's
// first line and hint, and "Show last error…"; a success, a cancel or no
// build shows none of them.
func TestLastErrorInTheMenu(t *testing.T) {
	oom := res(builder.KindOOM)
	oom.Message = "the builder for /nix/store/0123456789abcdfghijklmnpqrsvwxyz-image.drv ran out of memory: the kernel killed ld (cgroup /sys/fs/cgroup/nix-build/memory.max)\nlast lines:\n  ld: killed"
	oom.Hint = "give the VM more memory: nixpass vm resize --memory 16G"
	oom.Action = "Give the build more memory (limit 200 MiB)"
	build := res(builder.KindBuild)
	build.Message = "the builder for /nix/store/0123456789abcdfghijklmnpqrsvwxyz-app.drv failed with exit code 2\nlast 3 log lines:\n> make: *** [all] Error 2"
	build.Hint = "read the builder's log above or in full: nixpass logs /src/api"
	long := res(builder.KindEval)
	long.Message = strings.Repeat("é", 200)
	for _, tc := range []struct {
		name       string
		last       *builder.Result
		line, hint string // "" = hidden
		show       bool
	}{
		{"oom: the remedy shows, no store or cgroup path", oom, "the builder for image.drv ran out of memory: the kernel…", "→ Give the build more memory (limit 200 MiB)", true},
		{"build failure: the failing line, Show log", build, "make: *** [all] Error 2", "→ Show log", true},
		{"long message is cut", long, strings.Repeat("é", lineMax-1) + "…", "→ Fix the Nix expression", true},
		{"success", res(builder.KindOK), "", "", false},
		{"cancelled", res(builder.KindCancelled), "", "", false},
		{"never built", nil, "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pm := Build(builder.Snapshot{Projects: []builder.ProjectStatus{proj(builder.ProjectIdle, tc.last)}}, time.UTC).Projects[0]
			line, hint, show := find(pm.Items, "error"), find(pm.Items, "errorhint"), find(pm.Items, "lasterror")
			if line.Visible != (tc.line != "") || (tc.line != "" && line.Title != tc.line) {
				t.Errorf("error line = %+v, want %q", line, tc.line)
			}
			if hint.Visible != (tc.hint != "") || (tc.hint != "" && hint.Title != tc.hint) {
				t.Errorf("hint line = %+v, want %q", hint, tc.hint)
			}
			if show.Visible != tc.show || show.Enabled != tc.show || show.Title != "Show last error…" {
				t.Errorf("Show last error… = %+v, want shown %v", show, tc.show)
			}
		})
	}
}

func TestErrorReport(t *testing.T) {
	r := res(builder.KindBuild)
	r.Message = "builder for '/nix/store/x-app.drv' failed with exit code 2\nlast 3 log lines:\n> make: *** [all] Error 2"
	r.Hint = "read the log: nixpass logs /src/api"
	r.Log = "/Users/ana/Library/Logs/nixpass/builds/api/1.log"
	title, text := ErrorReport(proj(builder.ProjectIdle, r), time.UTC)
	if title != "api: "+builder.KindBuild.Title() {
		t.Errorf("title = %q", title)
	}
	for _, want := range []string{"2026-11-25 12:03", r.Message, "What to do: " + r.Hint, "Log: " + r.Log} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
}

// While building, the submenu shows the start time and the phase, keeps
// the last good result and its actions, and offers "Restart build".
func TestBuildingShowsProgress(t *testing.T) {
	p := proj(builder.ProjectBuilding, res(builder.KindOK))
	p.Since = at.Add(-3 * time.Minute)
	p.Progress = "evaluating"
	pm := BuildAt(builder.Snapshot{Projects: []builder.ProjectStatus{p}}, time.UTC, at).Projects[0]
	if got := find(pm.Items, "progress"); !got.Visible || got.Title != "building since 12:00 · evaluating" {
		t.Errorf("progress line = %+v", got)
	}
	if got := find(pm.Items, "last").Title; got != "✓ 12:03 · 84.0 MB · 41 s" {
		t.Errorf("last result while building = %q, want the last good one", got)
	}
	if d := find(pm.Items, "docker"); !d.Enabled {
		t.Errorf("Load into Docker while building: %+v, want enabled", d)
	}
	if b := find(pm.Items, "build"); b.Title != "Restart build" || !b.Enabled {
		t.Errorf("build item while building: %+v", b)
	}
	p.Progress = "preparing: creating the builder VM \"nixpass\" (first use; installing Nix takes a few minutes)"
	pm = BuildAt(builder.Snapshot{Projects: []builder.ProjectStatus{p}}, time.UTC, at).Projects[0]
	if got := find(pm.Items, "progress").Title; len([]rune(got)) > lineMax {
		t.Errorf("progress = %q, want at most one menu line", got)
	}
}
