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
// means every default. Project paths are read canonically (see
// ReadCanonically); the file is not rewritten.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Default(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("load config: %w", err)
	}
	c, err := Parse(bytes.NewReader(data), path)
	if err != nil {
		return nil, err
	}
	c.ReadCanonically()
	return c, nil
}

// ReadCanonically replaces each project's path by its Canonical form, so a
// path written by hand or by an older nixpass (through a symlink, in
// another case or Unicode form) names the folder the watcher, the VM and
// the state use; the spelling the file holds is kept in Written.
// Two entries that are one folder keep their spellings (the second is
// then a duplicate the file should lose, not a silent merge).
func (c *Config) ReadCanonically() {
	seen := map[string]bool{}
	for i := range c.Projects {
		seen[filepath.Clean(c.Projects[i].Path)] = true
	}
	for i := range c.Projects {
		p := &c.Projects[i]
		canon, err := Canonical(p.Path)
		if err != nil || canon == filepath.Clean(p.Path) || seen[canon] {
			continue
		}
		seen[canon] = true
		p.Written, p.Path = p.Path, canon
	}
}
