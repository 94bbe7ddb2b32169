package builder

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nixpass/builder/diagnose"
)

func TestMissingPathInNixWordings(t *testing.T) {
	tests := map[string]string{
		// Nix 2.8 (this host), import and readFile.
		"error: getting status of '/src/mono/lib/image.nix': No such file or directory": "/src/mono/lib/image.nix",
		"error: opening file '/src/mono/nolib/x': No such file or directory":            "/src/mono/nolib/x",
		// Nix 2.26 and 2.34 (the CI roots), under "… while calling the 'import' builtin".
		"error:\n       … while calling the 'import' builtin\n         at /src/mono/app/default.nix:1:1:\n\n       error: path '/src/mono/lib/image.nix' does not exist": "/src/mono/lib/image.nix",
		"error: undefined variable 'x'": "",
	}
	for log, want := range tests {
		if got := diagnose.Diagnose(log, diagnose.Evidence{}).Missing; got != want {
			t.Errorf("the missing file of %q = %q, want %q", log, got, want)
		}
	}
}

func TestMountAdvice(t *testing.T) {
	root := t.TempDir()
	app := filepath.Join(root, "mono", "my app")
	lib := filepath.Join(root, "mono", "lib")
	shared := filepath.Join(root, "mono", "shared", "nix")
	for _, d := range []string{app, lib, shared} {
		os.MkdirAll(d, 0o755)
	}
	os.WriteFile(filepath.Join(lib, "image.nix"), nil, 0o644)
	os.WriteFile(filepath.Join(shared, "x.nix"), nil, 0o644)
	os.WriteFile(filepath.Join(root, "mono", "top.nix"), nil, 0o644)
	tests := []struct {
		name    string
		missing string
		mounts  []string
		want    []string // "" = no advice
	}{
		{"sibling", filepath.Join(lib, "image.nix"), nil, []string{"outside every folder mounted", `mounts = ["../lib"]`, "--mount ../lib", "nixpass remove '" + app + "'"}},
		{"deeper sibling", filepath.Join(shared, "x.nix"), nil, []string{`mounts = ["../shared"]`}},
		{"already mounted", filepath.Join(lib, "image.nix"), []string{lib}, nil},
		{"inside the project", filepath.Join(app, "missing.nix"), nil, nil},
		{"missing here too", filepath.Join(lib, "nope.nix"), nil, nil},
		{"only the parent would do", filepath.Join(root, "mono", "top.nix"), nil, nil},
		{"relative path", "lib/image.nix", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MountAdvice(tt.missing, app, tt.mounts)
			if tt.want == nil {
				if got != "" {
					t.Errorf("advice %q, want none", got)
				}
				return
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("advice %q lacks %q", got, w)
				}
			}
		})
	}
}

func TestClassifyNamesTheMountToAdd(t *testing.T) {
	root := t.TempDir()
	app, lib := filepath.Join(root, "app"), filepath.Join(root, "lib")
	os.MkdirAll(app, 0o755)
	os.MkdirAll(lib, 0o755)
	os.WriteFile(filepath.Join(lib, "image.nix"), nil, 0o644)
	log := "error: getting status of '" + filepath.Join(lib, "image.nix") + "': No such file or directory\n(use '--show-trace' to show detailed location information)\n"
	for _, m := range []Machine{&VM{Name: "nixpass"}, &Local{}} {
		r := &run{b: &Builder{Machine: m}, p: Project{Dir: app, File: "default.nix"}, res: &Result{}}
		r.nixLog.WriteString(log)
		var be *Error
		if err := r.classify(t.Context(), 1); !errors.As(err, &be) || be.Kind != KindEval {
			t.Fatalf("%s: %v", m.Describe(), err)
		}
		_, vm := m.(*VM)
		if strings.Contains(be.Hint, "--mount ../lib") != vm {
			t.Errorf("%s: hint %q (the advice is for the VM only: the host sees every folder)", m.Describe(), be.Hint)
		}
	}
}

func TestRefusedPlatform(t *testing.T) {
	logs := map[string]string{
		// Nix 2.8 through a daemon whose extra-platforms lacks aarch64.
		"error: a 'aarch64-linux' with features {} is required to build '/nix/store/sh2bd5c6as49ml6c1qliicl9gdw1ggps-offline-latest.tar.gz.drv', but I am a 'x86_64-linux' with features {benchmark, big-parallel, kvm, nixos-test}\n": "aarch64-linux",
		// Newer Nix.
		"error: Cannot build '/nix/store/x-offline.drv'.\n       Reason: required system or feature not available\n       Required system: 'x86_64-linux' with features {}\n       Current system: 'aarch64-linux' with features {benchmark, big-parallel}\n": "x86_64-linux",
	}
	for log, want := range logs {
		for _, m := range []Machine{&VM{Name: "nixpass"}, &Local{}} {
			r := &run{b: &Builder{Machine: m}, p: Project{Dir: "/p", File: "default.nix", System: want}, res: &Result{}}
			r.nixLog.WriteString(log)
			var be *Error
			if err := r.classify(t.Context(), 1); !errors.As(err, &be) || be.Kind != KindPlatform || !strings.Contains(be.Message, "will not build for "+want) {
				t.Fatalf("%s: %v", m.Describe(), err)
			}
			_, vm := m.(*VM)
			if strings.Contains(be.Hint, "nixpass vm setup") != vm || strings.Contains(be.Hint, "extra-platforms = "+want+" to /etc/nix/nix.conf") == vm {
				t.Errorf("%s: hint %q", m.Describe(), be.Hint)
			}
		}
	}
}

func TestPlatformWarnings(t *testing.T) {
	tests := []struct {
		name, deploy, system, platform, want string
	}{
		{"apple silicon default", "linux/amd64", "", "linux/arm64", `set system = "x86_64-linux"`},
		{"deploys what it builds", "linux/amd64", "", "linux/amd64", ""},
		{"no guess about deployment", "", "", "linux/arm64", ""},
		{"system chosen", "linux/amd64", "aarch64-linux", "linux/arm64", ""},
		{"system ignored by the expression", "", "x86_64-linux", "linux/arm64", `sets system = "x86_64-linux", but the image's config says linux/arm64`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &run{b: &Builder{DeployPlatform: tt.deploy, Store: &Store{StateDir: t.TempDir()}}, p: Project{Dir: "/p", System: tt.system}, res: &Result{Platform: tt.platform}}
			r.platformWarning()
			if tt.want == "" && r.res.Warning != "" || !strings.Contains(r.res.Warning, tt.want) {
				t.Fatalf("warning %q, want %q", r.res.Warning, tt.want)
			}
			// The deployment warning comes once per project.
			r.res.Warning = ""
			r.platformWarning()
			if tt.system == "" && r.res.Warning != "" {
				t.Errorf("second warning %q", r.res.Warning)
			}
		})
	}
	if got := LikelyDeployPlatform("darwin", "arm64", "multipass"); got != "linux/amd64" {
		t.Errorf("Apple silicon: %q", got)
	}
	for _, c := range [][3]string{{"darwin", "amd64", "multipass"}, {"linux", "arm64", "local"}, {"darwin", "arm64", "local"}} {
		if got := LikelyDeployPlatform(c[0], c[1], c[2]); got != "" {
			t.Errorf("%v: %q", c, got)
		}
	}
}
