package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Path is the config file to use: $NIXPASS_CONFIG, else
// <user config dir>/nixpass/config.toml (on macOS
// ~/Library/Application Support/nixpass/config.toml). The CLI's --config
// flag overrides both.
func Path() string {
	if p := os.Getenv("NIXPASS_CONFIG"); p != "" {
		return p
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		dir = "."
	}
	return filepath.Join(dir, "nixpass", "config.toml")
}

// StateDir holds build records and history: $NIXPASS_STATE_DIR, else the
// platform's place (see stateDir).
func StateDir() (string, error) {
	if d := os.Getenv("NIXPASS_STATE_DIR"); d != "" {
		return d, nil
	}
	return stateDir()
}

// LogDir holds build logs: $NIXPASS_STATE_DIR/logs, else the platform's
// place (see logDir).
func LogDir() (string, error) {
	if d := os.Getenv("NIXPASS_STATE_DIR"); d != "" {
		return filepath.Join(d, "logs"), nil
	}
	return logDir()
}

// Load reads the config at path; a missing file means the defaults.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Default(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	defer f.Close()
	return Parse(f, path)
}
