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
	oom.Message = "the build of /nix/store/abc-image.drv was killed: out of memory\nlast lines:\n  ld: killed"
	oom.Hint = "give the VM more memory: nixpass vm resize --memory 16G"
	long := res(builder.KindEval)
	long.Message = strings.Repeat("é", 200)
	for _, tc := range []struct {
		name       string
		last       *builder.Result
		line, hint string // "" = hidden
		show       bool
	}{
		{"oom", oom, "the build of /nix/store/abc-image.drv was killed: out of memory", "→ give the VM more memory: nixpass vm resize --memory 16G", true},
		{"long message is cut", long, strings.Repeat("é", menuTextMax-1) + "…", "", true},
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

func TestBuildingShowsProgress(t *testing.T) {
	p := proj(builder.ProjectBuilding, nil)
	if got := LastLine(p, time.UTC); got != "building…" {
		t.Errorf("LastLine = %q, want building…", got)
	}
	p.Progress = "preparing: creating the builder VM \"nixpass\" (first use; installing Nix takes a few minutes)"
	if got := LastLine(p, time.UTC); !strings.HasPrefix(got, "preparing: creating the builder VM") || len([]rune(got)) > menuTextMax+1 {
		t.Errorf("LastLine = %q, want the progress, at most one menu line", got)
	}
}
