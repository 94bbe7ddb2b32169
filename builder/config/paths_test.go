package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestPathFromEnv(t *testing.T) {
	t.Setenv("NIXPASS_CONFIG", "/x/c.toml")
	if got := Path(); got != "/x/c.toml" {
		t.Errorf("Path() = %q, want $NIXPASS_CONFIG", got)
	}
}

func TestStateAndLogDirFromEnv(t *testing.T) {
	t.Setenv("NIXPASS_STATE_DIR", "/s")
	t.Setenv("XDG_STATE_HOME", "/ignored")
	if d, err := StateDir(); err != nil || d != "/s" {
		t.Errorf("StateDir() = %q, %v; want /s", d, err)
	}
	if d, err := LogDir(); err != nil || d != "/s/logs" {
		t.Errorf("LogDir() = %q, %v; want /s/logs", d, err)
	}
}

func TestLoadMissingFileIsDefaults(t *testing.T) {
	c, err := Load(filepath.Join(t.TempDir(), "nope", "config.toml"))
	if err != nil || !reflect.DeepEqual(c, Default()) {
		t.Errorf("Load(missing) = %+v, %v; want the defaults", c, err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.toml")
	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(good, []byte("[vm]\ncpus = 3\n"), 0o644)
	os.WriteFile(bad, []byte("[vm]\ncpus = 3\nram = 1\n"), 0o644)

	if c, err := Load(good); err != nil || c.VM.CPUs != 3 {
		t.Errorf("Load(good) = %+v, %v", c, err)
	}
	_, err := Load(bad)
	var pe *ParseError
	if !errors.As(err, &pe) || pe.File != bad || pe.Line != 3 {
		t.Errorf("Load(bad) = %v; want a ParseError naming %s line 3", err, bad)
	}
	if _, err := Load(dir); err == nil || !strings.HasPrefix(err.Error(), "load config: ") {
		t.Errorf("Load(a directory) = %v, want a load config error", err)
	}
}
