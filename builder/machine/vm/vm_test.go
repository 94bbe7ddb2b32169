package vm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"nixpass/builder"
	"nixpass/builder/build"
	"nixpass/builder/multipass"
	"nixpass/builder/multipass/multipasstest"
	"nixpass/builder/script"
	"nixpass/builder/store"
)

// These tests drive the VM machine through the fake multipass, whose exec
// runs on this host: the Multipass path runs the real script with real Nix.

type vmWorld struct {
	vm      *Machine
	logPath string
	b       *build.Builder
}

func newVMWorld(t testing.TB, env []string, instances ...multipasstest.FakeInstance) *vmWorld {
	t.Helper()
	bin := multipasstest.Build(t)
	wenv, _, logPath := multipasstest.NewWorld(t, instances...)
	multipasstest.Setenv(t, append(wenv, env...))
	t.Setenv("NIX_CONFIG", "substituters =\n")
	// No ssh config of this host's user: a test that wants one names it.
	vm := &Machine{Client: &multipass.Client{Bin: bin}, Name: "nixpass", GuestScriptDir: t.TempDir(), SSHConfig: filepath.Join(t.TempDir(), "no-ssh-config"),
		Spec: Spec{CPUs: 2, Memory: 4 << 30, Disk: 20 << 30, Swap: 2 << 30, Image: "24.04"}}
	store := &store.Store{StateDir: t.TempDir(), LogDir: t.TempDir()}
	return &vmWorld{vm: vm, logPath: logPath, b: &build.Builder{Machine: vm, Store: store, LockPath: filepath.Join(t.TempDir(), "vm.lock")}}
}

func (w *vmWorld) verbs(t *testing.T) []string {
	var v []string
	for _, c := range multipasstest.Calls(t, w.logPath) {
		v = append(v, c[0])
	}
	return v
}

func offlineProject(t testing.TB, tag, prepare string) builder.Project {
	t.Helper()
	if _, err := exec.LookPath("nix-build"); err != nil {
		t.Fatal("nix-build is not installed: apt-get install nix-bin busybox-static")
	}
	dir := filepath.Join(t.TempDir(), "a project")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"image.nix", "build-image.sh"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "..", "examples", "offline", f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, f), b, 0o644)
	}
	nix := fmt.Sprintf("import ./image.nix { tag = %q; prepare = %q; }\n", tag, prepare)
	os.WriteFile(filepath.Join(dir, "default.nix"), []byte(nix), 0o644)
	return builder.Project{Dir: dir, File: "default.nix", Output: "result.tar.gz"}
}

var vmInstance = multipasstest.FakeInstance{Name: "nixpass", State: "Running", CPUs: 2, Memory: 4 << 30, Disk: 20 << 30}

func withVMState(s string) multipasstest.FakeInstance {
	in := vmInstance
	in.State = s
	return in
}

func TestVMBuildStartsMountsAndInstalls(t *testing.T) {
	for _, state := range []string{"Running", "Stopped", "Suspended"} {
		t.Run(state, func(t *testing.T) {
			w := newVMWorld(t, nil, withVMState(state))
			p := offlineProject(t, "vm-"+strings.ToLower(state), "")
			res := w.b.Build(context.Background(), p)
			if !res.Succeeded() || res.Image != "offline:vm-"+strings.ToLower(state) {
				t.Fatalf("build: %+v", res)
			}
			calls := multipasstest.Calls(t, w.logPath)
			if !slices.ContainsFunc(calls, func(c []string) bool {
				return slices.Equal(c, []string{"mount", p.Dir, "nixpass:" + p.Dir})
			}) {
				t.Errorf("project not mounted at the same path: %q", calls)
			}
			started := slices.Contains(w.verbs(t), "start")
			if started != (state != "Running") {
				t.Errorf("start called = %v for a %s VM", started, state)
			}
			// The build's own exec installed the script: no transfer.
			if got, err := os.ReadFile(w.vm.scriptPath()); err != nil || !bytes.Equal(got, script.Body()) {
				t.Errorf("the build script was not installed by the build's exec: %v", err)
			}
			if slices.Contains(w.verbs(t), "transfer") {
				t.Errorf("the build script was transferred separately: %q", w.verbs(t))
			}
			// Prepare again: nothing to start, mount or install.
			before := len(calls)
			if _, err := w.vm.Prepare(context.Background(), p.Dir, nil); err != nil {
				t.Fatal(err)
			}
			for _, c := range multipasstest.Calls(t, w.logPath)[before:] {
				if c[0] != "info" && c[0] != "exec" {
					t.Errorf("second Prepare changed something: %q", c)
				}
			}
		})
	}
}

func TestVMUnavailable(t *testing.T) {
	tests := []struct {
		name    string
		env     []string
		inst    []multipasstest.FakeInstance
		bin     string
		message string
		hint    string
	}{
		{"missing", nil, nil, "", "does not exist", "nixpass vm create"},
		{"deleted", nil, []multipasstest.FakeInstance{withVMState("Deleted")}, "", "was deleted", "multipass recover nixpass"},
		{"unknown state", nil, []multipasstest.FakeInstance{withVMState("Unknown")}, "", "state Unknown", "multipass restart"},
		{"daemon down", []string{"FAKE_MULTIPASS_DAEMON_DOWN=1"}, []multipasstest.FakeInstance{vmInstance}, "", "cannot connect to the multipass socket", multipass.Hint(multipass.ErrDaemonUnavailable)},
		{"start fails", []string{"FAKE_MULTIPASS_START_FAIL=cannot start: hypervisor error"}, []multipasstest.FakeInstance{withVMState("Stopped")}, "", "hypervisor error", "multipass start nixpass"},
		{"ssh fails", []string{"FAKE_MULTIPASS_EXEC_FAIL=1"}, []multipasstest.FakeInstance{vmInstance}, "", "ssh connection failed", "nixpass vm status"},
		{"not installed", nil, nil, "/nonexistent/multipass", "multipass command was not found", multipass.Hint(multipass.ErrNotInstalled)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newVMWorld(t, tt.env, tt.inst...)
			if tt.bin != "" {
				w.vm.Client.Bin = tt.bin
			}
			res := w.b.Build(context.Background(), offlineProject(t, "vm-unavail", ""))
			if res.Kind != builder.KindUnavailable || res.Kind.ExitCode() != 6 {
				t.Fatalf("kind = %s, want unavailable: %+v", res.Kind, res)
			}
			if !strings.Contains(res.Message, tt.message) || !strings.Contains(res.Hint, tt.hint) {
				t.Errorf("message %q / hint %q; want %q / %q", res.Message, res.Hint, tt.message, tt.hint)
			}
		})
	}
}

func TestVMAutoCreate(t *testing.T) {
	w := newVMWorld(t, nil)
	w.vm.AutoCreate = true
	var details []string
	w.b.Emit = func(e builder.Event) {
		if ph, ok := e.(builder.BuildPhase); ok && ph.Phase == "preparing" && ph.Detail != "" {
			details = append(details, ph.Detail)
		}
	}
	res := w.b.Build(context.Background(), offlineProject(t, "vm-create", ""))
	if !res.Succeeded() {
		t.Fatalf("build: %+v", res)
	}
	// The first creation is minutes of work: its steps reach the CLI and
	// the menu as the preparing phase's detail, not only the log.
	if !slices.ContainsFunc(details, func(d string) bool { return strings.Contains(d, "creating the builder VM") }) {
		t.Errorf("preparing details = %q, want the VM creation step", details)
	}
	var launch []string
	for _, c := range multipasstest.Calls(t, w.logPath) {
		if c[0] == "launch" {
			launch = c
		}
	}
	for _, want := range [][]string{{"--name", "nixpass"}, {"--cpus", "2"}, {"--memory", "4G"}, {"--disk", "20G"}} {
		i := slices.Index(launch, want[0])
		if i < 0 || launch[i+1] != want[1] {
			t.Errorf("launch %q lacks %q", launch, want)
		}
	}
	if !slices.Contains(launch, "--cloud-init") || launch[1] != "24.04" {
		t.Errorf("launch %q lacks the image or the cloud-init", launch)
	}
}

func TestVMCancelStopsRemoteBuild(t *testing.T) {
	w := newVMWorld(t, nil, vmInstance)
	sleep := fmt.Sprintf("sleep %d", 200000+time.Now().UnixNano()%700000)
	p := offlineProject(t, "vm-cancel", `"$bb" `+sleep)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan *builder.Result)
	go func() { done <- w.b.Build(ctx, p) }()
	deadline := time.Now().Add(30 * time.Second)
	for exec.Command("pgrep", "-f", sleep).Run() != nil {
		if time.Now().After(deadline) {
			t.Fatal("the build never started")
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	res := <-done
	if res.Kind != builder.KindCancelled {
		t.Fatalf("kind = %s: %+v", res.Kind, res)
	}
	// The fake, like SSH, does not pass the client's death on: only the
	// script's cancel verb, run inside the "VM", can have stopped it.
	if exec.Command("pgrep", "-f", sleep).Run() == nil {
		t.Error("the build still runs inside the VM after cancel")
	}
	found := false
	for _, c := range multipasstest.Calls(t, w.logPath) {
		if c[0] == "exec" && slices.Contains(c, "cancel") {
			found = true
		}
	}
	if !found {
		t.Error("no cancel was sent into the VM")
	}
}

func TestVMResize(t *testing.T) {
	ctx := context.Background()
	w := newVMWorld(t, nil, vmInstance)
	if err := w.vm.Resize(ctx, 4, 8<<30, 40<<30, nil); err != nil {
		t.Fatal(err)
	}
	want := []string{"info", "stop", "set", "set", "set", "start"}
	if got := w.verbs(t); !slices.Equal(got, want) {
		t.Errorf("calls = %q, want %q", got, want)
	}
	inst, _ := w.vm.Client.Info(ctx, "nixpass")
	if inst.CPUs != 4 || inst.DiskTotal() != 40<<30 || inst.State != multipass.StateRunning {
		t.Errorf("after resize: %+v", inst)
	}
	err := w.vm.Resize(ctx, 0, 0, 10<<30, nil)
	var be *builder.Error
	if !errors.As(err, &be) || !strings.Contains(be.Message, "can only grow") {
		t.Errorf("shrinking the disk: %v", err)
	}
}

func TestCloudInit(t *testing.T) {
	b, err := CloudInit(Spec{CPUs: 4, Memory: 8 << 30, Swap: 4 << 30})
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{"#cloud-config", "size: 4294967296", "max-jobs = 2", "cores = 4", "experimental-features = nix-command flakes", "--daemon", "\n      !include nixpass.conf\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("cloud-init lacks %q:\n%s", want, s)
		}
	}
}

func TestMountTarget(t *testing.T) {
	tests := map[string]string{
		"/Users/ana/src/app": "/Users/ana/src/app",
		"/home/ana/app":      "/home/ana/app",
		"/tmp/x":             "/tmp/x",
		"/home/ubuntu/app":   "/home/ubuntu/app",
		"/home/ubuntu":       "/home/ubuntu/nixpass-mounts/ubuntu-",
		"/tmp":               "/home/ubuntu/nixpass-mounts/tmp-",
		"/nix/store/x":       "/home/ubuntu/nixpass-mounts/x-",
		"/etc":               "/home/ubuntu/nixpass-mounts/etc-",
		"/Users/a:b":         "/home/ubuntu/nixpass-mounts/a_b-",
	}
	for in, want := range tests {
		if got := MountTarget(in); !strings.HasPrefix(got, want) || (strings.HasSuffix(want, "-") && got == want) {
			t.Errorf("MountTarget(%q) = %q, want %q…", in, got, want)
		}
	}
}

// TestVMWaitsForFirstBoot: a VM whose Nix is not there yet is given
// cloud-init's time before "Nix is not installed" is said; here the
// first-boot setup "finishes" (a fake cloud-init on the fake's host)
// during the wait and the check then passes.
func TestVMWaitsForFirstBoot(t *testing.T) {
	for _, finishes := range []bool{true, false} {
		t.Run(fmt.Sprint("finishes=", finishes), func(t *testing.T) {
			w := newVMWorld(t, nil, vmInstance)
			flag := filepath.Join(t.TempDir(), "nix-installed")
			// The installed script: Nix is missing until the flag exists.
			if err := os.WriteFile(w.vm.scriptPath(), []byte("#!/bin/sh\n[ -f '"+flag+"' ] && exit 0\nexit 69\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			bin := t.TempDir()
			body := "#!/bin/sh\n"
			if finishes {
				body += "touch '" + flag + "'\n"
			}
			if err := os.WriteFile(filepath.Join(bin, "cloud-init"), []byte(body), 0o755); err != nil {
				t.Fatal(err)
			}
			t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
			var said []string
			err := w.vm.ensureScript(context.Background(), func(s string) { said = append(said, s) })
			waited := slices.ContainsFunc(multipasstest.Calls(t, w.logPath), func(c []string) bool {
				return c[0] == "exec" && slices.Contains(c, "cloud-init") && slices.Contains(c, "--wait")
			})
			if !waited || len(said) == 0 || !strings.Contains(said[len(said)-1], "first-boot") {
				t.Errorf("no cloud-init status --wait (calls %v), or not said (%q)", multipasstest.Calls(t, w.logPath), said)
			}
			if finishes && err != nil {
				t.Errorf("Nix appeared during the wait, yet: %v", err)
			}
			var be *builder.Error
			if !finishes && (!errors.As(err, &be) || !strings.Contains(be.Message, "Nix is not installed")) {
				t.Errorf("err = %v, want Nix is not installed after the wait", err)
			}
		})
	}
}
