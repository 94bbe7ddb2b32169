package vm

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"nixpass/builder"
	"nixpass/builder/build"
	"nixpass/builder/machine"
	"nixpass/builder/machine/local"
	"nixpass/builder/multipass/multipasstest"
	"nixpass/builder/script"
)

// writeScript writes the build script to path, as the local backend
// installs it.
func writeScript(path string) error {
	return os.WriteFile(path, script.Body(), 0o700)
}

// installedScript installs the build script into a fresh folder with a
// private run folder, as a build would, and returns its path.
func installedScript(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, script.FileName())
	if err := writeScript(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "run"), 0o700); err != nil {
		t.Fatal(err)
	}
	return path
}

// startProc starts argv in its own process group and reaps it when done.
func startProc(t *testing.T, argv ...string) (*exec.Cmd, chan struct{}) {
	t.Helper()
	c := exec.Command(argv[0], argv[1:]...)
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	gone := make(chan struct{})
	go func() { _ = c.Wait(); close(gone) }()
	t.Cleanup(func() { _ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL); <-gone })
	return c, gone
}

// TestScriptCancelSignalsOnlyItsBuild: cancel signals the pid in a pid
// file only while /proc/PID/cmdline is this script with that token; a
// swapped or stale pid file naming a stranger leaves it alone.
func TestScriptCancelSignalsOnlyItsBuild(t *testing.T) {
	sh := installedScript(t)
	run := filepath.Join(filepath.Dir(sh), "run")
	sleep := fmt.Sprintf("sleep %d", 300000+time.Now().UnixNano()%500000)
	tests := []struct {
		name    string
		argv    []string
		stopped bool
	}{
		{"a stranger", []string{"sh", "-c", sleep + "; :"}, false},
		{"the script with another token", []string{"sh", "-c", sleep + "; :", sh, "--token", "other"}, false},
		{"another script with this token", []string{"sh", "-c", sleep + "; :", sh + ".old", "--token", "tok"}, false},
		{"this script with this token", []string{"sh", "-c", sleep + "; :", sh, "--token", "tok"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, gone := startProc(t, tt.argv...)
			pidFile := filepath.Join(run, "tok.pid")
			os.Remove(pidFile)
			if err := os.WriteFile(pidFile, []byte(strconv.Itoa(c.Process.Pid)+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command("sh", sh, "cancel", "--token", "tok").CombinedOutput(); err != nil {
				t.Fatalf("cancel: %v\n%s", err, out)
			}
			stopped := false
			select {
			case <-gone:
				stopped = true
			case <-time.After(300 * time.Millisecond):
			}
			if stopped != tt.stopped {
				t.Errorf("process %q stopped = %v, want %v", tt.argv, stopped, tt.stopped)
			}
		})
	}
}

// TestScriptRunDirRule: Go's scriptRunDir takes the same run folder as the
// script and the same rule; a killed build's pid file is removed only
// from a folder that passes it.
func TestScriptRunDirRule(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test plants another user's folder: run it as root (CI does)")
	}
	other, err := user.Lookup("nixpass-ci")
	if err != nil {
		t.Fatal("no user nixpass-ci: run .ci/setup")
	}
	otherUID, _ := strconv.Atoi(other.Uid)
	tests := []struct {
		name string
		make func(run string)
		ok   bool
	}{
		{"missing", func(string) {}, true},
		{"private", func(run string) { os.Mkdir(run, 0o700) }, true},
		{"mode 755", func(run string) { os.Mkdir(run, 0o755) }, false},
		{"another user's", func(run string) { os.Mkdir(run, 0o700); os.Chown(run, otherUID, -1) }, false},
		{"a symlink to a private folder", func(run string) {
			d := filepath.Join(filepath.Dir(run), "elsewhere")
			os.Mkdir(d, 0o700)
			os.Symlink(d, run)
		}, false},
		{"a file", func(run string) { os.WriteFile(run, nil, 0o600) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			run := filepath.Join(dir, "run")
			tt.make(run)
			got, err := script.RunDir(dir)
			if (err == nil) != tt.ok || (err == nil && got != run) {
				t.Fatalf("scriptRunDir = %q, %v; want ok = %v", got, err, tt.ok)
			}
			// The script, run from that folder, agrees.
			sh := filepath.Join(dir, script.FileName())
			if err := writeScript(sh); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command("sh", sh, "cancel", "--token", "tok").CombinedOutput()
			code := 0
			if xe, ok := err.(*exec.ExitError); ok {
				code = xe.ExitCode()
			}
			if wantCode := map[bool]int{true: 0, false: script.ExitRunDirUnsafe}[tt.ok]; code != wantCode {
				t.Errorf("script cancel: exit %d, want %d\n%s", code, wantCode, out)
			}
			if !tt.ok && !strings.Contains(string(out), "@nixpass error run-dir-unsafe ") {
				t.Errorf("script said %q, want its run-dir-unsafe report", out)
			}
		})
	}
	// A killed build's pid file goes only from a private folder, and a VM
	// build ("" script folder) removes nothing on this host.
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "run"), 0o755)
	pid := filepath.Join(dir, "run", "tok.pid")
	os.WriteFile(pid, []byte("1\n"), 0o600)
	script.RemoveStalePid(dir, "tok")
	script.RemoveStalePid("", "tok")
	if _, err := os.Stat(pid); err != nil {
		t.Errorf("a pid file in a folder open to others was touched: %v", err)
	}
	os.Chmod(filepath.Join(dir, "run"), 0o700)
	script.RemoveStalePid(dir, "tok")
	if _, err := os.Stat(pid); err == nil {
		t.Error("a killed build's pid file was left in the private run folder")
	}
}

// TestScriptFileNamedLikeAnOption: a project file named -E is read as a
// file (./-E), and a flake value starting with - is an installable after
// --, not an option (real Nix).
func TestScriptFileNamedLikeAnOption(t *testing.T) {
	w := newVMWorld(t, nil, vmInstance)
	l := &local.Machine{ScriptDir: t.TempDir()}
	b := &build.Builder{Machine: l, Store: w.b.Store}
	p := offlineProject(t, "dash-e", "")
	if err := os.Rename(filepath.Join(p.Dir, "default.nix"), filepath.Join(p.Dir, "-E")); err != nil {
		t.Fatal(err)
	}
	p.File = "-E"
	res := b.Build(context.Background(), p)
	if res.Status != builder.StatusSucceeded {
		t.Fatalf("build of the file -E: %s %s: %s", res.Status, res.Kind, res.Message)
	}
	if _, err := os.Stat(filepath.Join(p.Dir, "result.tar.gz")); err != nil {
		t.Error(err)
	}

	q := offlineProject(t, "dash-flake", "")
	q.File, q.Flake = "", "--impure"
	res = b.Build(context.Background(), q)
	log, _ := os.ReadFile(res.Log)
	if res.Status == builder.StatusSucceeded || !strings.Contains(string(log), "/--impure") {
		t.Errorf("flake --impure: %s %s: %s; want Nix to look for a flake at ./--impure, log:\n%s", res.Status, res.Kind, res.Message, log)
	}
}

// TestVMSecretsNeverOnMultipassArgv: a token in a substituter URL goes to
// the VM in the managed nix.conf, never on `multipass exec`'s command line,
// through set-up and a build.
func TestVMSecretsNeverOnMultipassArgv(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test installs files owned by root through the fake VM: run it as root (CI does)")
	}
	sudoShim(t)
	const token = "plantedVMtoken93"
	w := newVMWorld(t, nil, vmInstance)
	nixDir := t.TempDir()
	w.vm.GuestNixDir = nixDir
	w.vm.Remote = machine.Remote{Substituters: []string{"http://ci:" + token + "@127.0.0.1:9/"}}
	if err := w.vm.setupRemoteBuilders(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(nixDir, managedConf)); !strings.Contains(string(b), token) {
		t.Fatalf("the managed nix.conf lacks the substituter:\n%s", b)
	}
	p := offlineProject(t, "vm-token", "")
	if res := w.b.Build(context.Background(), p); res.Status != builder.StatusSucceeded {
		t.Fatalf("build: %s %s: %s", res.Status, res.Kind, res.Message)
	}
	calls := multipasstest.Calls(t, w.logPath)
	if len(calls) < 3 {
		t.Fatalf("only %d multipass calls recorded", len(calls))
	}
	for _, c := range calls {
		if strings.Contains(strings.Join(c, " "), token) {
			t.Errorf("the token is on multipass's command line: %q", c)
		}
	}
}
