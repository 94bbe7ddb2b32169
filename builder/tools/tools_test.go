package tools

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// fakeFS is a filesystem of absolute paths for Finder.Stat.
func fakeFS(files map[string]fs.FileMode) func(string) (fs.FileInfo, error) {
	m := fstest.MapFS{}
	for p, mode := range files {
		m[strings.TrimPrefix(p, "/")] = &fstest.MapFile{Mode: mode}
	}
	return func(p string) (fs.FileInfo, error) {
		if !filepath.IsAbs(p) {
			return nil, fs.ErrNotExist
		}
		return fs.Stat(m, strings.TrimPrefix(filepath.Clean(p), "/"))
	}
}

// launchdPATH is what a Mac app started from Finder or launchd gets.
const launchdPATH = "/usr/bin:/bin:/usr/sbin:/sbin"

func TestFind(t *testing.T) {
	home := "/Users/ana"
	mac := DarwinDirs(home)
	tests := []struct {
		name  string
		path  string
		dirs  []string
		files map[string]fs.FileMode
		cmd   string
		want  string // "" means not found
	}{
		{"multipass from Finder: installer link in /usr/local/bin", launchdPATH, mac,
			map[string]fs.FileMode{"/usr/local/bin/multipass": 0o755}, "multipass", "/usr/local/bin/multipass"},
		{"only Multipass's own bin folder", launchdPATH, mac,
			map[string]fs.FileMode{"/Library/Application Support/com.canonical.multipass/bin/multipass": 0o755}, "multipass",
			"/Library/Application Support/com.canonical.multipass/bin/multipass"},
		{"docker from Apple-silicon Homebrew", launchdPATH, mac,
			map[string]fs.FileMode{"/opt/homebrew/bin/docker": 0o755}, "docker", "/opt/homebrew/bin/docker"},
		{"docker from Docker Desktop's user folder", launchdPATH, mac,
			map[string]fs.FileMode{"/Users/ana/.docker/bin/docker": 0o755}, "docker", "/Users/ana/.docker/bin/docker"},
		{"docker from OrbStack", launchdPATH, mac,
			map[string]fs.FileMode{"/Users/ana/.orbstack/bin/docker": 0o755}, "docker", "/Users/ana/.orbstack/bin/docker"},
		{"docker inside Docker.app", launchdPATH, mac,
			map[string]fs.FileMode{"/Applications/Docker.app/Contents/Resources/bin/docker": 0o755}, "docker",
			"/Applications/Docker.app/Contents/Resources/bin/docker"},
		{"PATH wins over install folders", "/Users/ana/bin:" + launchdPATH, mac,
			map[string]fs.FileMode{"/Users/ana/bin/docker": 0o755, "/opt/homebrew/bin/docker": 0o755}, "docker", "/Users/ana/bin/docker"},
		{"install folders in order", launchdPATH, mac,
			map[string]fs.FileMode{"/usr/local/bin/docker": 0o755, "/opt/homebrew/bin/docker": 0o755}, "docker", "/usr/local/bin/docker"},
		{"not executable is skipped", launchdPATH, mac,
			map[string]fs.FileMode{"/usr/local/bin/docker": 0o644, "/opt/homebrew/bin/docker": 0o755}, "docker", "/opt/homebrew/bin/docker"},
		{"a folder of that name is skipped", launchdPATH, mac,
			map[string]fs.FileMode{"/usr/local/bin/docker": fs.ModeDir | 0o755}, "docker", ""},
		{"nowhere", launchdPATH, mac, nil, "multipass", ""},
		{"configured absolute path", launchdPATH, nil,
			map[string]fs.FileMode{"/opt/mp/multipass": 0o755}, "/opt/mp/multipass", "/opt/mp/multipass"},
		{"configured ~ path", "", nil,
			map[string]fs.FileMode{"/Users/ana/tools/multipass": 0o755}, "~/tools/multipass", "/Users/ana/tools/multipass"},
		{"configured path is not searched elsewhere", launchdPATH, mac,
			map[string]fs.FileMode{"/usr/local/bin/multipass": 0o755}, "/opt/mp/multipass", ""},
		{"empty and relative PATH entries are not the current folder", ":.:bin", nil,
			map[string]fs.FileMode{"/multipass": 0o755}, "multipass", ""},
		{"snap on Linux", "/usr/bin:/bin", LinuxDirs("/home/ana"),
			map[string]fs.FileMode{"/snap/bin/multipass": 0o755}, "multipass", "/snap/bin/multipass"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &Finder{Path: tt.path, Home: home, Dirs: tt.dirs, Stat: fakeFS(tt.files)}
			got, err := f.Find(tt.cmd)
			if tt.want == "" {
				var nf *NotFoundError
				if !errors.As(err, &nf) || !errors.Is(err, ErrNotFound) {
					t.Fatalf("Find(%q) = %q, %v; want a NotFoundError", tt.cmd, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Find(%q) = %q, %v; want %q", tt.cmd, got, err, tt.want)
			}
		})
	}
}

func TestNotFoundNamesWhereItLooked(t *testing.T) {
	f := &Finder{Path: launchdPATH, Home: "/Users/ana", Dirs: DarwinDirs("/Users/ana"), Stat: fakeFS(nil)}
	_, err := f.Find("multipass")
	msg := err.Error()
	for _, want := range []string{"multipass not found", "/usr/bin", "/usr/local/bin", "/opt/homebrew/bin", "/Users/ana/.docker/bin"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %q", msg, want)
		}
	}
	if strings.Count(msg, "/usr/bin,") != 1 {
		t.Errorf("error %q lists /usr/bin twice (PATH and install folders overlap)", msg)
	}
	_, err = f.Find("/opt/mp/multipass")
	if got := err.Error(); got != "/opt/mp/multipass: no executable file there" {
		t.Errorf("path error = %q", got)
	}
}

func TestPATHHoldsInstallDirsOnce(t *testing.T) {
	f := &Finder{Path: launchdPATH, Home: "/Users/ana", Dirs: DarwinDirs("/Users/ana")}
	got := strings.Split(f.PATH(), ":")
	if got[0] != "/usr/bin" || got[1] != "/bin" {
		t.Errorf("PATH() = %v: the process's own PATH must come first", got)
	}
	seen := map[string]bool{}
	for _, d := range got {
		if seen[d] {
			t.Errorf("PATH() repeats %s", d)
		}
		seen[d] = true
	}
	for _, want := range []string{"/usr/local/bin", "/opt/homebrew/bin", "/Users/ana/.orbstack/bin"} {
		if !seen[want] {
			t.Errorf("PATH() = %v lacks %s", got, want)
		}
	}
}

func TestFindOnDisk(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "tool with space")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	f := &Finder{Path: "/nonexistent", Dirs: []string{dir}}
	if got, err := f.Find("tool with space"); err != nil || got != exe {
		t.Fatalf("Find = %q, %v; want %q", got, err, exe)
	}
}
