package tray

import (
	"testing"
	"time"

	"nixpass/builder"
)

// The menu shows "Pushed REF@sha256:…" (a short digest) under a build
// that pushed, and nothing for a push that failed or a project without one.
func TestMenuPushed(t *testing.T) {
	const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	pushed := res(builder.KindOK)
	pushed.Push = &builder.PushResult{Ref: "ghcr.io/me/api:v1", Digest: digest}
	failed := res(builder.KindPush)
	failed.Push = &builder.PushResult{Ref: "ghcr.io/me/api:v1", Error: "push to ghcr.io failed: denied"}
	tests := []struct {
		name    string
		last    *builder.Result
		title   string
		visible bool
	}{
		{"pushed", pushed, "Pushed ghcr.io/me/api:v1@sha256:0123456789ab…", true},
		{"push failed", failed, "", false},
		{"no push", res(builder.KindOK), "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := builder.Snapshot{Builder: builder.BuilderStatus{Backend: "local", State: builder.BuilderRunning}, Projects: []builder.ProjectStatus{proj(builder.ProjectIdle, tt.last)}}
			it := find(Build(s, time.UTC).Projects[0].Items, "pushed")
			if it.Title != tt.title || it.Visible != tt.visible {
				t.Errorf("pushed item %q visible %v, want %q visible %v", it.Title, it.Visible, tt.title, tt.visible)
			}
		})
	}
}
