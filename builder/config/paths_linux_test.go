package config

import "testing"

func TestPathsLinux(t *testing.T) {
	t.Setenv("NIXPASS_CONFIG", "")
	t.Setenv("NIXPASS_STATE_DIR", "")
	t.Setenv("HOME", "/home/me")
	tests := []struct {
		name                string
		xdgConfig, xdgState string
		config, state, logs string
	}{
		{"XDG set", "/cfg", "/st",
			"/cfg/nixpass/config.toml", "/st/nixpass", "/st/nixpass/logs"},
		{"XDG unset", "", "",
			"/home/me/.config/nixpass/config.toml", "/home/me/.local/state/nixpass", "/home/me/.local/state/nixpass/logs"},
		{"relative XDG_STATE_HOME is ignored", "", "state",
			"/home/me/.config/nixpass/config.toml", "/home/me/.local/state/nixpass", "/home/me/.local/state/nixpass/logs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("XDG_CONFIG_HOME", tt.xdgConfig)
			t.Setenv("XDG_STATE_HOME", tt.xdgState)
			if got := Path(); got != tt.config {
				t.Errorf("Path() = %q, want %q", got, tt.config)
			}
			if got, err := StateDir(); err != nil || got != tt.state {
				t.Errorf("StateDir() = %q, %v; want %q", got, err, tt.state)
			}
			if got, err := LogDir(); err != nil || got != tt.logs {
				t.Errorf("LogDir() = %q, %v; want %q", got, err, tt.logs)
			}
		})
	}
}

func TestDefaultBackendLinux(t *testing.T) {
	if got := Default().Builder.Backend; got != BackendLocal {
		t.Errorf("default backend on Linux = %q, want %q", got, BackendLocal)
	}
}
