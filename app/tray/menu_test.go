package tray

import (
	"testing"
	"time"

	"nixpass/assets"
	"nixpass/builder"
)

var at = time.Date(2026, 11, 25, 12, 3, 0, 0, time.UTC)

func res(kind builder.Kind) *builder.Result {
	r := &builder.Result{Kind: kind, Status: builder.StatusFailed, Finished: at, Log: "/l", Bytes: 84_000_000, DurationMS: 41_000}
	if kind == builder.KindOK {
		r.Status = builder.StatusSucceeded
	}
	return r
}

func proj(state builder.ProjectState, last *builder.Result) builder.ProjectStatus {
	return builder.ProjectStatus{Path: "/src/api", Name: "api", State: state, Last: last, Watch: true}
}

func TestBuilderLine(t *testing.T) {
	tests := []struct {
		st   builder.BuilderStatus
		want string
	}{
		{builder.BuilderStatus{Backend: "multipass", State: builder.BuilderRunning, CPUs: 4, Memory: 8<<30 - 100<<20}, "Builder: Running · 4 CPUs · 8 GiB"},
		{builder.BuilderStatus{Backend: "multipass", State: builder.BuilderStopped}, "Builder: Stopped (starts on demand)"},
		{builder.BuilderStatus{Backend: "multipass", State: builder.BuilderMissing}, "Builder: not created yet"},
		{builder.BuilderStatus{Backend: "multipass", State: builder.BuilderUnavailable, Problem: "Multipass is not installed\nmore"}, "Builder: Multipass is not installed"},
		{builder.BuilderStatus{Backend: "local", State: builder.BuilderRunning}, "Builder: this machine (local Nix)"},
		{builder.BuilderStatus{Backend: "multipass", State: builder.BuilderUnknown}, "Builder: checking…"},
	}
	for _, tt := range tests {
		if got := BuilderLine(tt.st); got != tt.want {
			t.Errorf("BuilderLine(%+v) = %q, want %q", tt.st, got, tt.want)
		}
	}
}

func TestIconFor(t *testing.T) {
	running := builder.BuilderStatus{Backend: "multipass", State: builder.BuilderRunning}
	tests := []struct {
		name string
		s    builder.Snapshot
		want assets.Icon
	}{
		{"idle", builder.Snapshot{Builder: running, Projects: []builder.ProjectStatus{proj(builder.ProjectIdle, res(builder.KindOK))}}, assets.Idle},
		{"building wins", builder.Snapshot{Builder: builder.BuilderStatus{State: builder.BuilderUnavailable}, Projects: []builder.ProjectStatus{proj(builder.ProjectBuilding, res(builder.KindOOM))}}, assets.Building},
		{"failed", builder.Snapshot{Builder: running, Projects: []builder.ProjectStatus{proj(builder.ProjectIdle, res(builder.KindEval))}}, assets.Failed},
		{"cancelled is not failed", builder.Snapshot{Builder: running, Projects: []builder.ProjectStatus{proj(builder.ProjectIdle, res(builder.KindCancelled))}}, assets.Idle},
		{"missing folder", builder.Snapshot{Builder: running, Projects: []builder.ProjectStatus{proj(builder.ProjectMissing, nil)}}, assets.Failed},
		{"unavailable", builder.Snapshot{Builder: builder.BuilderStatus{State: builder.BuilderUnavailable}, Projects: []builder.ProjectStatus{proj(builder.ProjectIdle, res(builder.KindEval))}}, assets.Stopped},
		{"stopped VM starts on demand", builder.Snapshot{Builder: builder.BuilderStatus{State: builder.BuilderStopped}}, assets.Idle},
		{"no VM yet", builder.Snapshot{Builder: builder.BuilderStatus{State: builder.BuilderMissing}}, assets.Stopped},
	}
	for _, tt := range tests {
		if got := IconFor(tt.s); got != tt.want {
			t.Errorf("%s: IconFor = %v, want %v", tt.name, got.Name(), tt.want.Name())
		}
	}
}

func TestLastLine(t *testing.T) {
	upToDate := res(builder.KindOK)
	upToDate.UpToDate = true
	arm := res(builder.KindOK)
	arm.Platform = "linux/arm64"
	oom := res(builder.KindOOM)
	oom.Finished = at.Add(7 * time.Minute)
	remote := res(builder.KindOK)
	remote.BuiltOn = "ssh-ng://me@bigbox"
	local := res(builder.KindOK)
	local.BuiltOn = builder.BuiltLocal
	tests := []struct {
		p    builder.ProjectStatus
		want string
	}{
		{proj(builder.ProjectIdle, res(builder.KindOK)), "✓ 12:03 · 84.0 MB · 41 s"},
		{proj(builder.ProjectIdle, upToDate), "✓ 12:03 · up to date"},
		{proj(builder.ProjectIdle, remote), "✓ 12:03 · 84.0 MB · 41 s · on me@bigbox"},
		{proj(builder.ProjectIdle, local), "✓ 12:03 · 84.0 MB · 41 s"},
		{proj(builder.ProjectIdle, arm), "✓ 12:03 · 84.0 MB · 41 s · linux/arm64"},
		{proj(builder.ProjectIdle, oom), "▲ out of memory at 12:10"},
		{proj(builder.ProjectIdle, res(builder.KindCancelled)), "cancelled at 12:03"},
		{proj(builder.ProjectBuilding, res(builder.KindOK)), "✓ 12:03 · 84.0 MB · 41 s"},
		{proj(builder.ProjectQueued, nil), "not built yet"},
		{proj(builder.ProjectMissing, nil), "folder missing"},
		{proj(builder.ProjectIdle, nil), "not built yet"},
	}
	for _, tt := range tests {
		if got := LastLineAt(tt.p, time.UTC, at); got != tt.want {
			t.Errorf("LastLine = %q, want %q", got, tt.want)
		}
	}
}

func find(items []Item, key string) Item {
	for _, it := range items {
		if it.Key == key {
			return it
		}
	}
	return Item{}
}

func TestMenuItemsFollowState(t *testing.T) {
	tests := []struct {
		name                                 string
		s                                    builder.Snapshot
		start, stop, shell, vmVisible, hint  bool
		build, cancel, docker, log, buildAll bool
		title                                string
	}{
		{"running VM, good build", builder.Snapshot{Builder: builder.BuilderStatus{Backend: "multipass", State: builder.BuilderRunning},
			Projects: []builder.ProjectStatus{proj(builder.ProjectIdle, res(builder.KindOK))}},
			false, true, true, true, false, true, false, true, true, true, "✓ api · 12:03"},
		{"stopped VM, building", builder.Snapshot{Builder: builder.BuilderStatus{Backend: "multipass", State: builder.BuilderStopped, Hint: "starts on demand"},
			Projects: []builder.ProjectStatus{proj(builder.ProjectBuilding, res(builder.KindOK))}},
			true, false, false, true, true, true, true, true, true, true, "◌ api"},
		{"local, failed", builder.Snapshot{Builder: builder.BuilderStatus{Backend: "local", State: builder.BuilderRunning},
			Projects: []builder.ProjectStatus{proj(builder.ProjectIdle, res(builder.KindEval))}},
			false, false, false, false, false, true, false, false, true, true, "✗ api · 12:03"},
		{"missing folder, never built", builder.Snapshot{Builder: builder.BuilderStatus{Backend: "local", State: builder.BuilderRunning},
			Projects: []builder.ProjectStatus{proj(builder.ProjectMissing, nil)}},
			false, false, false, false, false, false, false, false, false, true, "? api"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := BuildAt(tt.s, time.UTC, at)
			vm := find(m.Builder, "start")
			if vm.Enabled != tt.start || find(m.Builder, "stop").Enabled != tt.stop || find(m.Builder, "shell").Enabled != tt.shell || vm.Visible != tt.vmVisible {
				t.Errorf("builder items: %+v", m.Builder)
			}
			if find(m.Builder, "hint").Visible != tt.hint {
				t.Errorf("hint visible = %v", !tt.hint)
			}
			pm := m.Projects[0]
			if pm.Title != tt.title {
				t.Errorf("title %q, want %q", pm.Title, tt.title)
			}
			got := []bool{find(pm.Items, "build").Enabled, find(pm.Items, "cancel").Enabled, find(pm.Items, "docker").Enabled, find(pm.Items, "log").Enabled, find(m.Global, "buildall").Enabled}
			want := []bool{tt.build, tt.cancel, tt.docker, tt.log, tt.buildAll}
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("build/cancel/docker/log/buildall = %v, want %v", got, want)
					break
				}
			}
			if w := find(pm.Items, "watch"); !w.Checkable || !w.Checked {
				t.Errorf("auto-build item: %+v", w)
			}
		})
	}
	login := Build(builder.Snapshot{StartAtLogin: true}, time.UTC)
	if l := find(login.Global, "login"); !l.Checkable || !l.Checked || !l.Enabled {
		t.Errorf("Start at login item: %+v", l)
	}
	if find(Build(builder.Snapshot{}, time.UTC).Global, "login").Checked {
		t.Error("Start at login checked without an agent")
	}
	empty := Build(builder.Snapshot{Builder: builder.BuilderStatus{Backend: "local"}}, time.UTC)
	if len(empty.Projects) != 0 || find(empty.Global, "buildall").Enabled || !find(empty.Global, "add").Enabled {
		t.Errorf("empty menu: %+v", empty)
	}
}
