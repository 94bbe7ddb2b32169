package multipass

import (
	"os"
	"path/filepath"
	"testing"
)

func TestMountFor(t *testing.T) {
	inst := &Instance{Mounts: map[string]Mount{
		"/Users/ana/src/app":       {SourcePath: "/Users/ana/src/app"},
		"/home/ubuntu/work":        {SourcePath: "/Users/ana/work/"},
		"/home/ubuntu/nested":      {SourcePath: "/Users/ana/work/deep/er"},
		"/srv/root":                {SourcePath: "/"},
		"/home/ubuntu/no-source":   {},
		"/home/ubuntu/other-place": {SourcePath: "/Volumes/x"},
	}}
	tests := []struct {
		host, guest string
		ok          bool
	}{
		{"/Users/ana/src/app", "/Users/ana/src/app", true},
		{"/Users/ana/src/app/", "/Users/ana/src/app", true},
		{"/Users/ana/src/app/sub/dir", "/Users/ana/src/app/sub/dir", true},
		{"/Users/ana/src/apple", "/srv/root/Users/ana/src/apple", true},
		{"/Users/ana/work", "/home/ubuntu/work", true},
		{"/Users/ana/work/deep", "/home/ubuntu/work/deep", true},
		{"/Users/ana/work/deep/er/x", "/home/ubuntu/nested/x", true},
		{"/Users/ana/work/deep/error", "/home/ubuntu/work/deep/error", true},
		{"/Volumes/x/../x/y", "/home/ubuntu/other-place/y", true},
	}
	for _, tt := range tests {
		got, ok := inst.MountFor(tt.host)
		if got != tt.guest || ok != tt.ok {
			t.Errorf("MountFor(%q) = %q, %v; want %q, %v", tt.host, got, ok, tt.guest, tt.ok)
		}
	}

	// Without the mount of "/", a sibling with a common prefix is not
	// covered.
	delete(inst.Mounts, "/srv/root")
	for _, host := range []string{"/Users/ana/src/apple", "/Users/ana/workshop", "/Users", "/"} {
		if got, ok := inst.MountFor(host); ok {
			t.Errorf("MountFor(%q) = %q, want no mount", host, got)
		}
	}
	if _, ok := (&Instance{}).MountFor("/x"); ok {
		t.Error("an instance without mounts found one")
	}
}

// TestMountForOldSpelling: a mount an older nixpass made through a symlink
// is found for the project's canonical path, so the VM does not mount the
// folder twice.
func TestMountForOldSpelling(t *testing.T) {
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	real := filepath.Join(root, "real", "app")
	if err := os.MkdirAll(real, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "real"), filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(root, "link", "app")
	inst := &Instance{Mounts: map[string]Mount{old: {SourcePath: old}}}
	for _, tc := range []struct{ host, guest string }{
		{real, old},
		{filepath.Join(real, "sub"), filepath.Join(old, "sub")},
		{old, old},
	} {
		if got, ok := inst.MountFor(tc.host); !ok || got != tc.guest {
			t.Errorf("MountFor(%q) = %q, %v; want %q", tc.host, got, ok, tc.guest)
		}
	}
}
