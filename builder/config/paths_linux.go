package config

import (
	"fmt"
	"os"
	"path/filepath"
)

// stateDir is $XDG_STATE_HOME/nixpass, or ~/.local/state/nixpass when
// XDG_STATE_HOME is unset or, against the XDG spec, relative.
func stateDir() (string, error) {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "nixpass"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("state dir: %w", err)
	}
	return filepath.Join(home, ".local", "state", "nixpass"), nil
}

// logDir is the logs folder of the state dir.
func logDir() (string, error) {
	d, err := stateDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "logs"), nil
}
