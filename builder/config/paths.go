package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Path is the config file to use: $NIXPASS_CONFIG when set, else
// nixpass/config.toml in the user's config dir
// (~/Library/Application Support on macOS, $XDG_CONFIG_HOME or ~/.config
// on Linux). The CLI's --config flag overrides both.
func Path() string {
	if p := os.Getenv("NIXPASS_CONFIG"); p != "" {
		return p
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		// No $HOME: a relative path still names a file the error
		// messages can point at.
		dir = "."
	}
	return filepath.Join(dir, "nixpass", "config.toml")
}

// StateDir is where nixpass keeps build records and locks:
// $NIXPASS_STATE_DIR when set, else
// ~/Library/Application Support/nixpass/state on macOS and
// $XDG_STATE_HOME/nixpass (~/.local/state/nixpass) on Linux.
func StateDir() (string, error) {
	if d := os.Getenv("NIXPASS_STATE_DIR"); d != "" {
		return d, nil
	}
	return stateDir()
}

// LogDir is where nixpass writes build logs: $NIXPASS_STATE_DIR/logs
// when NIXPASS_STATE_DIR is set, else ~/Library/Logs/nixpass on macOS and
// the logs folder of the state dir on Linux.
func LogDir() (string, error) {
	if d := os.Getenv("NIXPASS_STATE_DIR"); d != "" {
		return filepath.Join(d, "logs"), nil
	}
	return logDir()
}

// Load reads the config file at path. A missing file is not an error: it
// means every default.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Default(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("load config: %w", err)
	}
	return Parse(bytes.NewReader(data), path)
}
