package core

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/gofrs/flock"

	"nixpass/builder/config"
)

// Running says whether a nixpass app runs for this user (it holds the
// single-instance lock Start takes), and its pid as the app wrote it.
func Running() (pid string, running bool) {
	state, err := config.StateDir()
	if err != nil {
		return "", false
	}
	lockPath := filepath.Join(state, "app.lock")
	if _, err := os.Stat(lockPath); err != nil {
		return "", false
	}
	fl := flock.New(lockPath)
	ok, err := fl.TryLock()
	if err != nil {
		return "", false
	}
	if ok {
		_ = fl.Unlock()
		return "", false
	}
	b, _ := os.ReadFile(filepath.Join(state, "app.pid"))
	return strings.TrimSpace(string(b)), true
}
