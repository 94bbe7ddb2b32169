package config

import "testing"

func TestPathsDarwin(t *testing.T) {
	t.Setenv("NIXPASS_CONFIG", "")
	t.Setenv("NIXPASS_STATE_DIR", "")
	t.Setenv("HOME", "/Users/me")
	checks := []struct {
		name string
		got  func() (string, error)
		want string
	}{
		{"Path", func() (string, error) { return Path(), nil }, "/Users/me/Library/Application Support/nixpass/config.toml"},
		{"StateDir", StateDir, "/Users/me/Library/Application Support/nixpass/state"},
		{"LogDir", LogDir, "/Users/me/Library/Logs/nixpass"},
	}
	for _, c := range checks {
		if got, err := c.got(); err != nil || got != c.want {
			t.Errorf("%s() = %q, %v; want %q", c.name, got, err, c.want)
		}
	}
}

func TestDefaultBackendDarwin(t *testing.T) {
	if got := Default().Builder.Backend; got != BackendMultipass {
		t.Errorf("default backend on macOS = %q, want %q", got, BackendMultipass)
	}
}
