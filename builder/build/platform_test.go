package build

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nixpass/builder"
	"nixpass/builder/machine"
	"nixpass/builder/machine/local"
	"nixpass/builder/machine/vm"
	"nixpass/builder/store"
)

func TestClassifyNamesTheMountToAdd(t *testing.T) {
	root := t.TempDir()
	app, lib := filepath.Join(root, "app"), filepath.Join(root, "lib")
	os.MkdirAll(app, 0o755)
	os.MkdirAll(lib, 0o755)
	os.WriteFile(filepath.Join(lib, "image.nix"), nil, 0o644)
	log := "error: getting status of '" + filepath.Join(lib, "image.nix") + "': No such file or directory\n(use '--show-trace' to show detailed location information)\n"
	for _, m := range []machine.Machine{&vm.Machine{Name: "nixpass"}, &local.Machine{}} {
		r := &run{b: &Builder{Machine: m}, p: builder.Project{Dir: app, File: "default.nix"}, res: &builder.Result{}}
		r.nixLog.feed(log)
		var be *builder.Error
		if err := r.classify(t.Context(), 1); !errors.As(err, &be) || be.Kind != builder.KindEval {
			t.Fatalf("%s: %v", m.Describe(), err)
		}
		_, vm := m.(*vm.Machine)
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
		for _, m := range []machine.Machine{&vm.Machine{Name: "nixpass"}, &local.Machine{}} {
			r := &run{b: &Builder{Machine: m}, p: builder.Project{Dir: "/p", File: "default.nix", System: want}, res: &builder.Result{}}
			r.nixLog.feed(log)
			var be *builder.Error
			if err := r.classify(t.Context(), 1); !errors.As(err, &be) || be.Kind != builder.KindPlatform || !strings.Contains(be.Message, "will not build for "+want) {
				t.Fatalf("%s: %v", m.Describe(), err)
			}
			_, vm := m.(*vm.Machine)
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
			r := &run{b: &Builder{DeployPlatform: tt.deploy, Store: &store.Store{StateDir: t.TempDir()}}, p: builder.Project{Dir: "/p", System: tt.system}, res: &builder.Result{Platform: tt.platform}}
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
