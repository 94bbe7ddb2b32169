package tray

import (
	"strings"
	"testing"
	"time"

	"nixpass/builder"
)

// The state at a glance: marks per kind with the time, same-named folders
// told apart, a tooltip that summarises, an empty-state line, the image
// tag, and a config that does not parse named with file, line and key.
func TestMenuAtAGlance(t *testing.T) {
	local := builder.BuilderStatus{Backend: "local", State: builder.BuilderRunning}
	syntax := res(builder.KindEval)
	syntax.Message = "syntax error, unexpected '}'"
	good := res(builder.KindOK)
	good.Image, good.Output = "my_api:latest", "/src/my_api/result.tar.gz"
	oom := res(builder.KindOOM)
	twinA := builder.ProjectStatus{Path: "/work/api", Name: "api", Last: good}
	twinB := builder.ProjectStatus{Path: "/play/api", Name: "api", Last: oom}
	broken := builder.ProjectStatus{Path: "/src/broken", Name: "broken", Last: syntax}
	under := builder.ProjectStatus{Path: "/src/my_api", Name: "my_api", Last: good}
	tests := []struct {
		name    string
		s       builder.Snapshot
		tooltip string
		titles  []string
		check   func(t *testing.T, m Model)
	}{
		{"empty", builder.Snapshot{Builder: local}, "nixpass — no projects yet", nil, func(t *testing.T, m Model) {
			if e := find(m.Global, "empty"); !e.Visible || e.Enabled {
				t.Errorf("empty-state line: %+v", e)
			}
		}},
		{"one failing", builder.Snapshot{Builder: local, Projects: []builder.ProjectStatus{broken, under}},
			"nixpass — 1 failing: broken (Nix evaluation error)", []string{"✗ broken · 12:03", "✓ my_api · 12:03"}, func(t *testing.T, m Model) {
				if e := find(m.Global, "empty"); e.Visible {
					t.Error("empty-state line shown with projects")
				}
				if img := find(m.Projects[1].Items, "image"); !img.Visible || img.Title != "Image: my_api:latest" {
					t.Errorf("image line: %+v", img)
				}
				for _, k := range []string{"copyload", "showimage"} {
					if it := find(m.Projects[1].Items, k); !it.Visible || !it.Enabled {
						t.Errorf("%s: %+v", k, it)
					}
					if it := find(m.Projects[0].Items, k); it.Visible {
						t.Errorf("%s shown for a project without an image: %+v", k, it)
					}
				}
			}},
		{"same-named folders", builder.Snapshot{Builder: local, Projects: []builder.ProjectStatus{twinA, twinB}},
			"nixpass — 1 failing: api (play) (out of memory)", []string{"✓ api (work) · 12:03", "▲ api (play) · 12:03"}, nil},
		{"config does not parse", builder.Snapshot{Builder: local, Projects: []builder.ProjectStatus{under},
			ConfigProblem: &builder.ConfigProblem{Path: "/home/a/.config/nixpass/config.toml", Line: 12, Key: "vm.memory", Reason: "want a size such as \"8G\""}},
			"nixpass — config not reloaded", []string{"✓ my_api · 12:03"}, func(t *testing.T, m Model) {
				if c := find(m.Builder, "configproblem"); !c.Visible || c.Title != `⚠ config.toml line 12, vm.memory: want a size such as "8G"` {
					t.Errorf("config line: %+v", c)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := BuildAt(tt.s, time.UTC, at)
			if m.Tooltip != tt.tooltip {
				t.Errorf("tooltip %q, want %q", m.Tooltip, tt.tooltip)
			}
			var titles []string
			for _, p := range m.Projects {
				titles = append(titles, p.Title)
			}
			if strings.Join(titles, "|") != strings.Join(tt.titles, "|") {
				t.Errorf("titles %q, want %q", titles, tt.titles)
			}
			if tt.check != nil {
				tt.check(t, m)
			}
		})
	}
}

// A long builder problem is cut to one menu line.
func TestBuilderLineIsShortened(t *testing.T) {
	s := builder.Snapshot{Builder: builder.BuilderStatus{Backend: "local", State: builder.BuilderUnavailable,
		Problem: "nix-build was not found in PATH " + strings.Repeat("/usr/very/long/bin:", 20), Hint: strings.Repeat("install Nix ", 20)}}
	m := BuildAt(s, time.UTC, at)
	for _, k := range []string{"status", "hint"} {
		if got := find(m.Builder, k).Title; len([]rune(got)) > lineMax+2 {
			t.Errorf("%s line is %d characters: %q", k, len([]rune(got)), got)
		}
	}
}

func TestNameOf(t *testing.T) {
	s := builder.Snapshot{Projects: []builder.ProjectStatus{{Path: "/work/api", Name: "api"}, {Path: "/play/api", Name: "api"}, {Path: "/src/web", Name: "web"}}}
	for dir, want := range map[string]string{"/work/api": "api (work)", "/play/api": "api (play)", "/src/web": "web", "/gone/db": "db"} {
		if got := NameOf(s, dir); got != want {
			t.Errorf("NameOf(%s) = %q, want %q", dir, got, want)
		}
	}
}
