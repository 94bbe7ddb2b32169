package config

import (
	"strings"
	"testing"
	"time"
)

func TestDockerDefaults(t *testing.T) {
	d := Default().Docker
	if d.Command != "docker" || d.LoadTimeout.D() != 5*time.Minute {
		t.Errorf("default [docker] = %+v, want docker and 5m", d)
	}
}

// TestDockerKeys: every mistake in [docker] names the file, the line
// and the key, like the other tables.
func TestDockerKeys(t *testing.T) {
	tests := []struct {
		name, text string
		want       string
	}{
		{"empty command", "[docker]\ncommand = \" \"\n", `config.toml:2:11: docker.command: must name the docker CLI`},
		{"zero timeout", "[docker]\nload_timeout = \"0s\"\n", `config.toml:2:16: docker.load_timeout: 0 is not more than zero`},
		{"bad duration", "[docker]\nload_timeout = \"soon\"\n", `config.toml:2:16: docker.load_timeout: invalid duration "soon"`},
		{"typo", "[docker]\ncomand = \"docker\"\n", `config.toml:2:1: docker.comand: unknown key; did you mean "command"?`},
		{"wrong table", "[builder]\nload_timeout = \"1m\"\n", `config.toml:2:1: builder.load_timeout: unknown key; "load_timeout" belongs in [docker]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.text), "config.toml")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse(%q) = %v, want %q", tt.text, err, tt.want)
			}
		})
	}
	c, err := Parse(strings.NewReader("[docker]\ncommand = \"/usr/local/bin/docker\"\nload_timeout = \"10m\"\n"), "config.toml")
	if err != nil || c.Docker.Command != "/usr/local/bin/docker" || c.Docker.LoadTimeout.D() != 10*time.Minute {
		t.Errorf("Parse = %+v, %v", c, err)
	}
}
