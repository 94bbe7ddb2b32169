package install

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func linkCLI(t *testing.T, path string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("sh", append([]string{"link-cli.sh"}, args...)...)
	cmd.Env = append(os.Environ(), "PATH="+path)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestLinkCLI(t *testing.T) {
	root := t.TempDir()
	target := filepath.Join(root, "Applications", "nixpass.app", "Contents", "MacOS", "nixpass")
	usrLocal := filepath.Join(root, "usr local bin")
	brew := filepath.Join(root, "opt", "homebrew", "bin")
	locked := filepath.Join(root, "locked")
	fallback := filepath.Join(root, "home", "it's me", ".local", "bin")
	for _, d := range []string{usrLocal, brew, locked} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(locked, 0o555); err != nil {
		t.Fatal(err)
	}
	if os.Getuid() == 0 {
		// root writes anywhere: play an unwritable folder with a missing one.
		locked = filepath.Join(root, "missing")
	}
	sysPath := "/usr/bin:/bin"
	for _, tc := range []struct {
		name   string
		dirs   []string
		want   string // where the link must be
		export bool   // the export line is printed
	}{
		{"usr/local/bin writable", []string{usrLocal, brew}, usrLocal, false},
		{"brew when /usr/local/bin is not", []string{locked, brew}, brew, false},
		{"empty brew prefix is skipped", []string{locked, ""}, fallback, true},
		{"fallback already on PATH", []string{locked}, fallback, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := sysPath
			if tc.name == "fallback already on PATH" {
				path = fallback + ":" + sysPath
			}
			out, err := linkCLI(t, path, append([]string{target, fallback}, tc.dirs...)...)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			link := filepath.Join(tc.want, "nixpass")
			if got, err := os.Readlink(link); err != nil || got != target {
				t.Fatalf("%s -> %q (%v), want %s\n%s", link, got, err, target, out)
			}
			hasExport := strings.Contains(out, "export PATH=")
			if hasExport != tc.export {
				t.Fatalf("export line printed = %v, want %v:\n%s", hasExport, tc.export, out)
			}
			if tc.export {
				// The printed line, run by a shell, must put exactly the fallback on PATH.
				var line string
				for _, l := range strings.Split(out, "\n") {
					if strings.Contains(l, "export PATH=") {
						line = strings.TrimSpace(l)
					}
				}
				got, err := exec.Command("sh", "-c", line+`; printf %s "${PATH%%:*}"`).Output()
				if err != nil || string(got) != fallback {
					t.Errorf("%q puts %q first on PATH (%v), want %q", line, got, err, fallback)
				}
			}
			os.Remove(link)
		})
	}
}
