package tray

import (
	"testing"
	"time"

	"nixpass/builder"
)

// The last-build line says an image was uploaded to the team cache, and
// that a failed upload left it built but not uploaded.
func TestMenuCacheUpload(t *testing.T) {
	uploaded := res(builder.KindOK)
	uploaded.Cache = &builder.CacheUpload{URL: "https://cache.example.com", Paths: 3, Bytes: 1 << 20}
	nothingNew := res(builder.KindOK)
	nothingNew.Cache = &builder.CacheUpload{URL: "https://cache.example.com"}
	failed := res(builder.KindCache)
	failed.Cache = &builder.CacheUpload{URL: "https://cache.example.com", Error: "HTTP error 403"}
	tests := []struct {
		name string
		r    *builder.Result
		want string
	}{
		{"uploaded", uploaded, "✓ 12:03 · 84.0 MB · 41 s · uploaded"},
		{"nothing new to upload", nothingNew, "✓ 12:03 · 84.0 MB · 41 s"},
		{"upload failed", failed, "✗ 12:03 · 84.0 MB · built, not uploaded to the cache"},
	}
	for _, tt := range tests {
		if got := LastLine(proj(builder.ProjectIdle, tt.r), time.UTC); got != tt.want {
			t.Errorf("%s: last line %q, want %q", tt.name, got, tt.want)
		}
	}
}
