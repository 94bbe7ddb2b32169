package tray

import (
	"testing"
	"time"

	"nixpass/assets"
	"nixpass/builder"
)

// A build whose image Docker did not take is a failure the menu names as
// such, with the image's size, and whose remedy, "Load into Docker",
// stays enabled (an ordinary failure has no image to load).
func TestMenuBuiltNotLoaded(t *testing.T) {
	tests := []struct {
		name     string
		p        builder.ProjectStatus
		last     string
		item     string
		enabled  bool
		icon     bool // failed icon
		wantMark string
	}{
		{"not loaded", proj(builder.ProjectIdle, res(builder.KindDocker)),
			"◐ 12:03 · 84.0 MB · built, not loaded into Docker", "Load into Docker (not loaded yet)", true, true, "◐ api · 12:03"},
		// While it builds again, the last result and its remedy stay.
		{"not loaded, rebuilding", proj(builder.ProjectBuilding, res(builder.KindDocker)),
			"◐ 12:03 · 84.0 MB · built, not loaded into Docker", "Load into Docker (not loaded yet)", true, false, "◌ api"},
		{"loaded", proj(builder.ProjectIdle, res(builder.KindOK)),
			"✓ 12:03 · 84.0 MB · 41 s", "Load into Docker", true, false, "✓ api · 12:03"},
		{"build failed", proj(builder.ProjectIdle, res(builder.KindBuild)),
			"✗ build failed at 12:03", "Load into Docker", false, true, "✗ api · 12:03"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := builder.Snapshot{Builder: builder.BuilderStatus{Backend: "local", State: builder.BuilderRunning}, Projects: []builder.ProjectStatus{tt.p}}
			m := BuildAt(s, time.UTC, at)
			pm := m.Projects[0]
			if got := find(pm.Items, "last").Title; got != tt.last {
				t.Errorf("last line %q, want %q", got, tt.last)
			}
			if d := find(pm.Items, "docker"); d.Title != tt.item || d.Enabled != tt.enabled {
				t.Errorf("docker item %+v, want %q enabled=%v", d, tt.item, tt.enabled)
			}
			if got := m.Icon == assets.Failed; got != tt.icon {
				t.Errorf("failed icon = %v, want %v", got, tt.icon)
			}
			if pm.Title != tt.wantMark {
				t.Errorf("title %q, want %q", pm.Title, tt.wantMark)
			}
		})
	}
}
