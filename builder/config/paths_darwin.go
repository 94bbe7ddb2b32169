package config

import (
	"os"
	"path/filepath"
)

// stateDir is ~/Library/Application Support/nixpass/state.
func stateDir() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, "Library", "Application Support", "nixpass", "state"), nil
}

// logDir is ~/Library/Logs/nixpass, where Console.app looks.
func logDir() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, "Library", "Logs", "nixpass"), nil
}
