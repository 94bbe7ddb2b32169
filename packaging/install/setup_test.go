package install

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// setupWorld is a machine for setup-linux.sh made of stubs: each stub
// appends its argv to calls.log, so the test sees exactly what the script
// would have changed.
type setupWorld struct {
	t     *testing.T
	bin   string
	calls string
	env   []string
}

func newSetupWorld(t *testing.T, osRelease string) *setupWorld {
	t.Helper()
	dir := t.TempDir()
	w := &setupWorld{t: t, bin: filepath.Join(dir, "bin"), calls: filepath.Join(dir, "calls.log")}
	if err := os.MkdirAll(w.bin, 0o755); err != nil {
		t.Fatal(err)
	}
	rel := filepath.Join(dir, "os-release")
	if err := os.WriteFile(rel, []byte(osRelease), 0o644); err != nil {
		t.Fatal(err)
	}
	// The tools the script only reads pass through to the real ones.
	for _, tool := range []string{"sh", "cat", "sleep", "printf", "dirname", "sed"} {
		if p, err := exec.LookPath(tool); err == nil {
			if err := os.Symlink(p, filepath.Join(w.bin, tool)); err != nil {
				t.Fatal(err)
			}
		}
	}
	// What changes the machine only records itself.
	for _, tool := range []string{"apt-get", "sudo", "usermod", "systemctl", "install", "env"} {
		w.stub(tool, "exit 0")
	}
	w.stub("getent", "exit 0") // the nixbld group exists
	w.stub("id", `case "$1" in -u) echo 0 ;; -un) echo root ;; -nG) echo root ;; esac`)
	w.stub("nix-build", "exit 0")
	w.env = []string{"PATH=" + w.bin, "NIXPASS_OS_RELEASE=" + rel, "NIXPASS_NIX_SOCKET=" + filepath.Join(dir, "socket")}
	return w
}

// stub writes a program named tool that logs its argv, then runs body.
func (w *setupWorld) stub(tool, body string) {
	w.t.Helper()
	script := "#!/bin/sh\nprintf '%s\\n' \"" + tool + " $*\" >>'" + w.calls + "'\n" + body + "\n"
	if err := os.WriteFile(filepath.Join(w.bin, tool), []byte(script), 0o755); err != nil {
		w.t.Fatal(err)
	}
}

func (w *setupWorld) remove(tool string) { _ = os.Remove(filepath.Join(w.bin, tool)) }

func (w *setupWorld) run(extraEnv ...string) (string, []string, int) {
	w.t.Helper()
	cmd := exec.Command(filepath.Join(w.bin, "sh"), "setup-linux.sh")
	cmd.Env = append(append([]string{}, w.env...), extraEnv...)
	cmd.Stdin = nil // not a terminal
	out, err := cmd.CombinedOutput()
	code := 0
	if xe, ok := err.(*exec.ExitError); ok {
		code = xe.ExitCode()
	} else if err != nil {
		w.t.Fatal(err)
	}
	b, _ := os.ReadFile(w.calls)
	var changes []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if l != "" && !strings.HasPrefix(l, "id ") && !strings.HasPrefix(l, "getent ") && !strings.HasPrefix(l, "nix-build ") {
			changes = append(changes, l)
		}
	}
	return string(out), changes, code
}

const debian12 = "ID=debian\nVERSION_ID=\"12\"\n"

func TestSetupLinux(t *testing.T) {
	if _, err := os.Stat("/usr/bin/busybox"); err != nil {
		t.Fatal("busybox-static is not installed (apt-get install busybox-static): the cases assume it is")
	}
	for _, tc := range []struct {
		name      string
		osRelease string
		prepare   func(w *setupWorld)
		env       []string
		code      int
		say       []string // in the output
		changes   []string // prefixes of the recorded changes, in order
	}{
		{name: "nothing missing", osRelease: debian12, code: 0},
		{
			name: "no Nix, CI=true installs", osRelease: debian12, env: []string{"CI=true"},
			prepare: func(w *setupWorld) { w.remove("nix-build") },
			say:     []string{"install Debian packages: nix-bin", "set-up done"},
			changes: []string{"env DEBIAN_FRONTEND=noninteractive apt-get update", "env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nix-bin"},
		},
		{
			name: "no build users", osRelease: "ID=ubuntu\nVERSION_ID=\"24.04\"\n", env: []string{"CI=true"},
			prepare: func(w *setupWorld) { w.stub("getent", "exit 2") },
			changes: []string{"env DEBIAN_FRONTEND=noninteractive apt-get update", "env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nix-setup-systemd"},
		},
		{
			name: "no terminal, no CI: manual steps only", osRelease: debian12, code: 1,
			prepare: func(w *setupWorld) { w.remove("nix-build") },
			say:     []string{"No terminal to ask on", "sudo apt-get install nix-bin nix-setup-systemd busybox-static"},
		},
		{
			name: "another system: manual steps only", osRelease: "ID=fedora\nVERSION_ID=40\n", env: []string{"CI=true"}, code: 1,
			prepare: func(w *setupWorld) { w.remove("nix-build") },
			say:     []string{"This is fedora 40, not Debian 12+", "https://nixos.org/download"},
		},
		{
			name: "Debian 11 is too old", osRelease: "ID=debian\nVERSION_ID=\"11\"\n", env: []string{"CI=true"}, code: 1,
			prepare: func(w *setupWorld) { w.remove("nix-build") },
			say:     []string{"not Debian 12+"},
		},
		{
			name: "a user outside nix-users is added and told to log in again", osRelease: debian12, env: []string{"CI=true"}, code: 1,
			prepare: func(w *setupWorld) {
				w.stub("id", `case "$1" in -u) echo 1000 ;; -un) echo "it's me" ;; -nG) echo users ;; esac`)
				// The daemon's socket appears when the daemon is started.
				w.stub("sudo", `[ "$1" = sh ] && exec /usr/bin/python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$NIXPASS_NIX_SOCKET"; exit 0`)
			},
			say: []string{"add it's me to the group nix-users", "start nix-daemon", "Log in again"},
			changes: []string{"sudo install -d -m 0770 -o root -g nix-users /nix/var/nix/daemon-socket", "sudo install -d -m 1777",
				"sudo sh -c setsid nix-daemon --daemon", "sudo usermod -aG nix-users it's me"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newSetupWorld(t, tc.osRelease)
			if tc.prepare != nil {
				tc.prepare(w)
			}
			out, changes, code := w.run(tc.env...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s", code, tc.code, out)
			}
			if tc.name == "nothing missing" && out != "" {
				t.Errorf("printed %q with nothing missing", out)
			}
			for _, s := range tc.say {
				if !strings.Contains(out, s) {
					t.Errorf("output lacks %q:\n%s", s, out)
				}
			}
			if len(changes) != len(tc.changes) {
				t.Fatalf("changes %q, want %d starting %q\n%s", changes, len(tc.changes), tc.changes, out)
			}
			for i, c := range tc.changes {
				if !strings.HasPrefix(changes[i], c) {
					t.Errorf("change %d = %q, want %q…", i, changes[i], c)
				}
			}
		})
	}
}

// TestSetupLinuxAsksOnATerminal answers the question on a real pseudo-
// terminal (script(1)): "n" changes nothing, "y" installs.
func TestSetupLinuxAsksOnATerminal(t *testing.T) {
	scriptBin, err := exec.LookPath("script")
	if err != nil {
		t.Fatal("script is not installed: apt-get install util-linux (bsdutils)")
	}
	for _, tc := range []struct {
		answer  string
		code    int
		install bool
	}{{"n\n", 1, false}, {"y\n", 0, true}} {
		w := newSetupWorld(t, debian12)
		w.remove("nix-build")
		cmd := exec.Command(scriptBin, "-qec", filepath.Join(w.bin, "sh")+" setup-linux.sh", "/dev/null")
		cmd.Env = w.env
		cmd.Stdin = strings.NewReader(tc.answer)
		out, err := cmd.CombinedOutput()
		code := 0
		if xe, ok := err.(*exec.ExitError); ok {
			code = xe.ExitCode()
		}
		if code != tc.code || !strings.Contains(string(out), "Go ahead? [y/N]") {
			t.Errorf("answer %q: exit %d (want %d), output:\n%s", tc.answer, code, tc.code, out)
		}
		b, _ := os.ReadFile(w.calls)
		if got := strings.Contains(string(b), "apt-get install"); got != tc.install {
			t.Errorf("answer %q: installed = %v, want %v\n%s", tc.answer, got, tc.install, b)
		}
	}
}
