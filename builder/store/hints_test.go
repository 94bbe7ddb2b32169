package store

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"nixpass/internal/pastetest"
)

// TestHintsAreSafeToPaste: the killed build's hint, given a hostile
// project folder, runs exactly its command when pasted into sh.
func TestHintsAreSafeToPaste(t *testing.T) {
	dir := filepath.Join(t.TempDir(), pastetest.Hostile)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	killed := (&Store{StateDir: t.TempDir()}).recordKilled(RunningMarker{Token: "t", Project: dir, Started: time.Now()})
	for _, tc := range []struct {
		name, hint, prefix, suffix string
		want                       []string
	}{
		{"killed build", killed.Hint, "build again with: ", "", []string{"nixpass", "build", dir}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := pastetest.CommandIn(t, tc.hint, tc.prefix, tc.suffix)
			if got := pastetest.Paste(t, cmd); !slices.Equal(got, tc.want) {
				t.Errorf("pasting %s ran %q, want %q", cmd, got, tc.want)
			}
		})
	}
}
