package config

import (
	"fmt"
	"os"
	"path/filepath"
)

// stateDir is ~/Library/Application Support/nixpass/state, where macOS
// apps keep data that is not the user's documents.
func stateDir() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("state dir: %w", err)
	}
	return filepath.Join(home, "Library", "Application Support", "nixpass", "state"), nil
}

// logDir is ~/Library/Logs/nixpass, where Console.app finds logs.
func logDir() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("log dir: %w", err)
	}
	return filepath.Join(home, "Library", "Logs", "nixpass"), nil
}
