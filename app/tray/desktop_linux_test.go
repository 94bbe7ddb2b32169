package tray

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// Without xdg-open every "Show…" item says to install xdg-utils, not a
// PATH dump.
func TestShowWithoutXdgOpen(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	err := openFile(context.Background(), "/tmp")
	if !errors.Is(err, errNoOpener) || !strings.Contains(err.Error(), "install xdg-utils") || strings.Contains(err.Error(), "PATH") {
		t.Errorf("openFile without xdg-open: %v", err)
	}
}
