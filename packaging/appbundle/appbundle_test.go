package appbundle

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"howett.net/plist"

	"nixpass/builder/runner"
)

func TestVersions(t *testing.T) {
	tests := []struct {
		in, short, build string
		commits          int
	}{
		{"v1.2.3", "1.2.3", "1.2.3000", 0},
		{"v1.2.3-4-gabcdef0", "1.2.3", "1.2.3004", 4},
		{"v1.2.3-5-gabcdef0", "1.2.3", "1.2.3005", 5}, // m11: dev builds differ in three integers
		{"v1.2.3-1500-gabcdef0", "1.2.3", "1.2.3999", 1500},
		{"v1.2.4", "1.2.4", "1.2.4000", 0},
		{"v1.2", "1.2.0", "1.2.0", 0},
		{"v1.2.3-dirty", "1.2.3", "1.2.3000", 0},
		{"v1.2.3-4-gabcdef0-dirty", "1.2.3", "1.2.3004", 4},
		{"1.2", "0.0.0", "0.0.0", 0},            // not a v-tag
		{"25c3ac6", "0.0.0", "0.0.0", 0},        // a commit hash starting with digits
		{"25c3ac6-dirty", "0.0.0", "0.0.0", 0},  //
		{"v1.2.3rc1", "0.0.0", "0.0.0", 0},      // trailing junk
		{"release-v1.2.3", "0.0.0", "0.0.0", 0}, // not anchored at the start
		{"v1.2.3-4-gabcdef0-extra", "0.0.0", "0.0.0", 0},
		{"abcdef0", "0.0.0", "0.0.0", 0},
		{"dev", "0.0.0", "0.0.0", 0},
	}
	for _, tt := range tests {
		s, b, n := Versions(tt.in)
		if s != tt.short || b != tt.build || n != tt.commits {
			t.Errorf("Versions(%q) = %q %q %d, want %q %q %d", tt.in, s, b, n, tt.short, tt.build, tt.commits)
		}
		if parts := strings.Split(b, "."); len(parts) != 3 {
			t.Errorf("CFBundleVersion %q has %d integers; macOS reads three", b, len(parts))
		}
	}
}

// TestSignArgs (M16): ad-hoc stays the default; an identity signs with the
// hardened runtime and a secure timestamp, as notarization requires.
func TestSignArgs(t *testing.T) {
	for _, tc := range []struct {
		id   string
		want []string
	}{
		{"", []string{"--force", "--sign", "-", "--timestamp=none", "/b/x.app"}},
		{"Developer ID Application: Ana (AB12CD34EF)", []string{"--force", "--sign", "Developer ID Application: Ana (AB12CD34EF)", "--options", "runtime", "--timestamp", "/b/x.app"}},
	} {
		if got := signArgs(tc.id, "/b/x.app"); strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("signArgs(%q) = %q, want %q", tc.id, got, tc.want)
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
		"CFBundleShortVersionString": "1.4.0", "CFBundleVersion": "1.4.2", "LSMinimumSystemVersion": "12.0",
		"LSUIElement": true, "LSApplicationCategoryType": "public.app-category.developer-tools",
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
	if n, ok := m[CommitsKey].(uint64); !ok || n != 2 {
		t.Errorf("%s = %v (%T), want 2", CommitsKey, m[CommitsKey], m[CommitsKey])
	}
	if c, _ := m["NSHumanReadableCopyright"].(string); !strings.Contains(c, "nixpass") {
		t.Errorf("copyright = %q", c)
	}
	if st, err := os.Stat(out); err != nil || st.Mode().Perm() != 0o755 {
		t.Errorf("bundle folder mode %v (%v), want 0755: other accounts must be able to open the app", st.Mode().Perm(), err)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, "build", ".nixpass-*"))
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

type recordRunner struct{ cmds []runner.Cmd }

func (r *recordRunner) Run(ctx context.Context, c runner.Cmd) (*runner.Result, error) {
	r.cmds = append(r.cmds, c)
	return &runner.Result{}, nil
}

// TestSignsABundleNamedApp: codesign gets a folder whose name ends in
// .app (it decides "bundle" by the suffix), before it is renamed into
// place.
func TestSignsABundleNamedApp(t *testing.T) {
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "codesign"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	exe := filepath.Join(t.TempDir(), "nixpass")
	os.WriteFile(exe, []byte("x"), 0o755)
	rr := &recordRunner{}
	out := filepath.Join(t.TempDir(), "nixpass.app")
	if err := Build(context.Background(), Options{Binaries: []string{exe}, Plist: "../../Info.plist", Out: out, Runner: rr}); err != nil {
		t.Fatal(err)
	}
	if len(rr.cmds) != 1 || rr.cmds[0].Name != "codesign" {
		t.Fatalf("commands = %+v, want one codesign", rr.cmds)
	}
	target := rr.cmds[0].Args[len(rr.cmds[0].Args)-1]
	if !strings.HasSuffix(target, ".app") || filepath.Dir(target) != filepath.Dir(out) {
		t.Errorf("signed %q: want a .app folder next to %s", target, out)
	}
}
