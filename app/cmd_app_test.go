package main

import (
	"testing"

	"nixpass/builder"
)

func TestWatchingAndStoppingLines(t *testing.T) {
	idle := builder.ProjectStatus{Path: "/a", Watch: true, State: builder.ProjectIdle}
	unwatched := builder.ProjectStatus{Path: "/b", State: builder.ProjectIdle}
	building := builder.ProjectStatus{Path: "/c", Watch: true, State: builder.ProjectBuilding}
	for _, tc := range []struct {
		name     string
		ps       []builder.ProjectStatus
		finish   bool
		watching string
		stopping string
	}{
		{"all watched, idle", []builder.ProjectStatus{idle}, false, "watching 1 project(s)", "stopping (nothing is building)"},
		{"some unwatched", []builder.ProjectStatus{idle, unwatched, unwatched}, false,
			"watching 1 of 3 project(s) (2 with watch = false build only when asked)", "stopping (nothing is building)"},
		{"building, cancel", []builder.ProjectStatus{idle, building}, false, "watching 2 project(s)", "stopping (cancelling the running build of /c)"},
		{"building, finish", []builder.ProjectStatus{building}, true, "watching 1 project(s)", "stopping (finishing the running build of /c)"},
	} {
		if got := watchingLine(tc.ps); got != tc.watching {
			t.Errorf("%s: watchingLine = %q, want %q", tc.name, got, tc.watching)
		}
		if got := stoppingLine(tc.ps, tc.finish); got != tc.stopping {
			t.Errorf("%s: stoppingLine = %q, want %q", tc.name, got, tc.stopping)
		}
	}
}
