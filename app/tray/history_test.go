package tray

import (
	"strings"
	"testing"
	"time"

	"nixpass/builder"
)

func TestHistoryView(t *testing.T) {
	loc := time.UTC
	now := time.Date(2026, 12, 4, 18, 0, 0, 0, loc)
	builds := []builder.Result{
		{Project: "/p/web", Status: builder.StatusFailed, Kind: builder.KindOOM, Message: "out of memory", Finished: now.Add(-time.Hour)},
		{Project: "/p/web", Status: builder.StatusSucceeded, Kind: builder.KindOK, UpToDate: true, Finished: now.Add(-2 * time.Hour)},
		{Project: "/p/web", Status: builder.StatusSucceeded, Kind: builder.KindOK, Bytes: 2 << 20, DurationMS: 1500, Image: "web:latest\x1b]0;x\x07", Platform: "linux/amd64", Finished: now.Add(-26 * time.Hour)},
	}
	got := HistoryView("/p/web", builds, loc, now)
	lines := strings.Split(strings.TrimSpace(got), "\n")
	if len(lines) != 6 || !strings.HasPrefix(lines[0], "nixpass · web: history") {
		t.Fatalf("view:\n%s", got)
	}
	for i, want := range []string{"17:00", "up to date", "web:latest"} {
		if !strings.Contains(lines[3+i], want) {
			t.Errorf("line %d = %q, want %q", 3+i, lines[3+i], want)
		}
	}
	// The same marks and times as the menu's last-result line; a day
	// before today carries its date; escape sequences are gone.
	if lines[4] != LastLineAt(builder.ProjectStatus{Path: "/p/web", Last: &builds[1]}, loc, now) {
		t.Errorf("line %q differs from the menu's %q", lines[4], LastLineAt(builder.ProjectStatus{Last: &builds[1]}, loc, now))
	}
	if strings.ContainsRune(got, '\x1b') || !strings.HasPrefix(lines[5], "✓ 3 Dec 16:00 · ") || !strings.HasSuffix(lines[5], " · web:latest]0;x") && !strings.HasSuffix(lines[5], " · web:latest") {
		t.Errorf("line %q: want a date and no escapes", lines[5])
	}
	if v := HistoryView("/p/new", nil, loc, now); !strings.Contains(v, "no builds yet") {
		t.Errorf("empty view: %q", v)
	}
}
