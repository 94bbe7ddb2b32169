package vm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

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
