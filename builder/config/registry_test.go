package config

import (
	"strings"
	"testing"
)

func TestRegistryKeys(t *testing.T) {
	cases := []struct {
		name, toml, want string // want: "" valid, else a problem containing it
	}{
		{"push", `push = "docker.io/user/app:v1"`, ""},
		{"push without registry", `push = "user/app"`, `has no registry: write it out, e.g. "docker.io/user/app"`},
		{"push with digest", `push = "ghcr.io/a/b@sha256:` + strings.Repeat("a", 64) + `"`, "names a digest"},
		{"systems", `systems = ["x86_64-linux", "aarch64-linux"]`, ""},
		{"systems and system", "systems = [\"x86_64-linux\"]\nsystem = \"x86_64-linux\"", "set system or systems, not both"},
		{"systems unknown", `systems = ["riscv64-linux"]`, `"riscv64-linux", is not a system`},
		{"systems twice", `systems = ["aarch64-linux", "aarch64-linux"]`, "listed twice"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := "[[project]]\npath = \"/p\"\n" + tc.toml + "\n"
			_, err := Parse(strings.NewReader(src), "config.toml")
			checkProblem(t, err, tc.want)
		})
	}
	for _, tc := range []struct{ toml, want string }{
		{"[registry]\nca_files = [\"/etc/ca.pem\"]\ninsecure = [\"10.0.0.2:5000\"]", ""},
		{"[registry]\nca_files = [\"ca.pem\"]", "absolute path of a PEM file"},
		{"[registry]\ninsecure = [\"http://10.0.0.2:5000\"]", "HOST:PORT"},
		{"[registry]\ninsecure = [\"10.0.0.2\"]", "HOST:PORT"},
	} {
		_, err := Parse(strings.NewReader(tc.toml+"\n"), "config.toml")
		checkProblem(t, err, tc.want)
	}
}

func checkProblem(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("got %v, want valid", err)
	case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
		t.Errorf("got %v, want a problem containing %q", err, want)
	}
}

func TestRenderKeepsPushAndSystems(t *testing.T) {
	c := Default()
	c.Registry.Insecure = []string{"10.0.0.2:5000"}
	c.Projects = []Project{{Path: "/p", Push: "docker.io/u/app", Systems: []string{"x86_64-linux", "aarch64-linux"}}}
	b, err := Render(c)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse(strings.NewReader(string(b)), "rendered")
	if err != nil {
		t.Fatal(err)
	}
	p := back.Projects[0]
	if p.Push != "docker.io/u/app" || strings.Join(p.Systems, ",") != "x86_64-linux,aarch64-linux" || back.Registry.Insecure[0] != "10.0.0.2:5000" {
		t.Errorf("render and parse lost keys: %+v %+v", p, back.Registry)
	}
}
