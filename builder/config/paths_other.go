//go:build !darwin

package config

import (
	"os"
	"path/filepath"
)

// stateDir is $XDG_STATE_HOME/nixpass (~/.local/state/nixpass).
func stateDir() (string, error) {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "nixpass"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
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
