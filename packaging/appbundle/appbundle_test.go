package appbundle

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"howett.net/plist"
)

func TestVersions(t *testing.T) {
	tests := []struct{ in, short, build string }{
		{"v1.2.3", "1.2.3", "1.2.3"},
		{"v1.2.3-4-gabcdef0", "1.2.3", "1.2.3.4"},
		{"1.2", "1.2.0", "1.2.0"},
		{"abcdef0", "0.0.0", "0.0.0"},
		{"dev", "0.0.0", "0.0.0"},
	}
	for _, tt := range tests {
		s, b := Versions(tt.in)
		if s != tt.short || b != tt.build {
			t.Errorf("Versions(%q) = %q %q, want %q %q", tt.in, s, b, tt.short, tt.build)
		}
	}
}

func TestBundleLayoutAndPlist(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "nixpass-linux")
	os.WriteFile(bin, []byte("#!/bin/sh\necho nixpass\n"), 0o644)
	out := filepath.Join(dir, "build", "nixpass.app")
	if err := Build(context.Background(), Options{Binaries: []string{bin}, Version: "v1.4.0-2-g0123abc", Plist: "../../Info.plist", Out: out}); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(out, "Contents", "MacOS", "nixpass"))
	if err != nil || st.Mode().Perm() != 0o755 {
		t.Fatalf("executable: %v %v", st, err)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "Contents", "PkgInfo")); string(b) != "APPL????" {
		t.Errorf("PkgInfo = %q", b)
	}
	icns, _ := os.ReadFile(filepath.Join(out, "Contents", "Resources", "nixpass.icns"))
	if len(icns) < 1000 || string(icns[:4]) != "icns" {
		t.Errorf("icns: %d bytes, magic %q", len(icns), icns[:min(4, len(icns))])
	}
	b, err := os.ReadFile(filepath.Join(out, "Contents", "Info.plist"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if _, err := plist.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"CFBundleIdentifier": "dev.nixpass.app", "CFBundleName": "nixpass", "CFBundleDisplayName": "nixpass",
		"CFBundleExecutable": "nixpass", "CFBundleIconFile": "nixpass", "CFBundlePackageType": "APPL",
		"CFBundleShortVersionString": "1.4.0", "CFBundleVersion": "1.4.0.2", "LSMinimumSystemVersion": "12.0",
		"LSUIElement": true, "LSApplicationCategoryType": "public.app-category.developer-tools",
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
	if c, _ := m["NSHumanReadableCopyright"].(string); !strings.Contains(c, "nixpass") {
		t.Errorf("copyright = %q", c)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, "build", ".nixpass.app-*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary bundles left: %v", leftovers)
	}
}

func TestTwoBinariesNeedLipo(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	err := Build(context.Background(), Options{Binaries: []string{"a", "b"}, Plist: "../../Info.plist", Out: filepath.Join(t.TempDir(), "x.app")})
	if err == nil || !strings.Contains(err.Error(), "lipo") {
		t.Fatalf("err = %v", err)
	}
}
