package tray

import (
	"testing"
	"time"

	"nixpass/builder"
)

// The menu offers "Rebuild NAME with N GB" after an OOM at one job without
// auto_grow, until the project's next build replaces that result.
func TestGrowMenuItem(t *testing.T) {
	oom := res(builder.KindOOM)
	oom.GrowMemory = 8 << 30
	tests := []struct {
		name    string
		p       builder.ProjectStatus
		visible bool
		enabled bool
		title   string
	}{
		{"offered", proj(builder.ProjectIdle, oom), true, true, "Rebuild api with 8 GB"},
		{"while building", proj(builder.ProjectBuilding, oom), true, false, "Rebuild api with 8 GB"},
		{"an OOM without a size", proj(builder.ProjectIdle, res(builder.KindOOM)), false, false, ""},
		{"after the next build", proj(builder.ProjectIdle, res(builder.KindOK)), false, false, ""},
	}
	for _, tt := range tests {
		m := Build(builder.Snapshot{Builder: builder.BuilderStatus{Backend: "multipass", State: builder.BuilderRunning}, Projects: []builder.ProjectStatus{tt.p}}, time.UTC)
		var it *Item
		for i := range m.Projects[0].Items {
			if m.Projects[0].Items[i].Key == "growbuild" {
				it = &m.Projects[0].Items[i]
			}
		}
		if it == nil {
			t.Fatalf("%s: no growbuild item", tt.name)
		}
		if it.Visible != tt.visible || (tt.visible && (it.Enabled != tt.enabled || it.Title != tt.title)) {
			t.Errorf("%s: got %+v, want visible %t enabled %t %q", tt.name, *it, tt.visible, tt.enabled, tt.title)
		}
	}
}
