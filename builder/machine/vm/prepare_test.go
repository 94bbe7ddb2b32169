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
	"nixpass/builder/multipass"
	"nixpass/builder/multipass/multipasstest"
)

// The fake really renames as Multipass's SFTP mount does: with "kill" an
// in-VM mv over an existing file loses it. This is the hazard the host
// rename avoids.
func TestFakeSFTPRenameLosesTheTarget(t *testing.T) {
	w := newVMWorld(t, []string{multipasstest.EnvSFTPRename + "=kill"}, vmInstance)
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "new"), filepath.Join(dir, "image")
	os.WriteFile(src, []byte("new"), 0o644)
	os.WriteFile(dst, []byte("last good"), 0o644)
	_, err := w.vm.Client.Exec(context.Background(), "nixpass", multipass.ExecOptions{Args: []string{"mv", "-f", "--", src, dst}})
	if err == nil {
		t.Fatal("the killed mv succeeded")
	}
	if _, err := os.Stat(dst); !os.IsNotExist(err) {
		t.Errorf("the target survived a remove-then-rename killed in between: %v", err)
	}
}

func TestVMImageReplacedOnTheHostUnderSFTPRename(t *testing.T) {
	w := newVMWorld(t, []string{multipasstest.EnvSFTPRename + "=kill"}, vmInstance)
	p := offlineProject(t, "vm-sftp-good", "")
	out := filepath.Join(p.Dir, p.Output)
	if res := w.b.Build(context.Background(), p); !res.Succeeded() {
		t.Fatalf("first build: %+v", res)
	}
	good, _ := os.ReadFile(out)

	// Replacing an existing image: an in-VM mv would be killed between
	// remove and rename and lose it; the host's rename is atomic.
	p2 := offlineProject(t, "vm-sftp-new", "")
	for _, f := range []string{"default.nix"} {
		b, _ := os.ReadFile(filepath.Join(p2.Dir, f))
		os.WriteFile(filepath.Join(p.Dir, f), b, 0o644)
	}
	res := w.b.Build(context.Background(), p)
	if !res.Succeeded() || res.Image != "offline:vm-sftp-new" {
		t.Fatalf("rebuild under remove-then-rename: %+v", res)
	}
	now, _ := os.ReadFile(out)
	if bytes.Equal(now, good) || len(now) == 0 {
		t.Error("the image was not replaced")
	}
	assertNoTemps(t, p.Dir)

	// The VM dies after the script wrote the temporary file: the last
	// good image stays, and the temporary file goes.
	good = now
	p3 := offlineProject(t, "vm-sftp-dies", "")
	b, _ := os.ReadFile(filepath.Join(p3.Dir, "default.nix"))
	os.WriteFile(filepath.Join(p.Dir, "default.nix"), b, 0o644)
	t.Setenv(multipasstest.EnvExecFail, "after")
	res = w.b.Build(context.Background(), p)
	if res.Succeeded() || res.Kind != builder.KindUnavailable {
		t.Fatalf("a VM dying mid-build: %+v", res)
	}
	if now, _ := os.ReadFile(out); !bytes.Equal(now, good) {
		t.Error("a build whose VM died replaced or damaged the last good image")
	}
	assertNoTemps(t, p.Dir)
}

func assertNoTemps(t *testing.T, dir string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), "nixpass-tmp") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}

// calls counts the fake's invocations by verb.
func (w *vmWorld) callCount(t *testing.T) int { return len(multipasstest.Calls(t, w.logPath)) }

func TestVMWarmBuildTakesTwoCalls(t *testing.T) {
	w := newVMWorld(t, nil, vmInstance)
	p := offlineProject(t, "vm-warm", "")
	if res := w.b.Build(context.Background(), p); !res.Succeeded() {
		t.Fatalf("first build: %+v", res)
	}
	before := w.callCount(t)
	res := w.b.Build(context.Background(), p)
	if !res.Succeeded() || !res.UpToDate {
		t.Fatalf("warm build: %+v", res)
	}
	calls := multipasstest.Calls(t, w.logPath)[before:]
	var verbs []string
	for _, c := range calls {
		verbs = append(verbs, c[0])
	}
	if !slices.Equal(verbs, []string{"info", "exec"}) {
		t.Errorf("a warm build called multipass %q, want info and one exec", calls)
	}
}

// setupStubs puts sudo, apt-get and systemctl stand-ins first on PATH
// (the fake's exec runs on this host, which must not be changed) and
// points the script's setup at a private root and binfmt folder. The
// apt-get stand-in registers the handler, as the package's postinst
// does, with the given flags; each stand-in logs its argv.
func setupStubs(t *testing.T, flags string) (root, binfmt, log string) {
	t.Helper()
	bin, root, binfmt := t.TempDir(), t.TempDir(), t.TempDir()
	log = filepath.Join(t.TempDir(), "calls.log")
	stubs := map[string]string{
		"sudo":      "[ \"$1\" = -n ] && shift\nexec \"$@\"\n",
		"apt-get":   "echo \"apt-get $*\" >>\"$STUB_LOG\"\nprintf 'enabled\\ninterpreter /usr/bin/qemu-aarch64-static\\nflags: " + flags + "\\n' >\"$NIXPASS_BINFMT_DIR/qemu-aarch64\"\n",
		"systemctl": "echo \"systemctl $*\" >>\"$STUB_LOG\"\n",
	}
	for name, body := range stubs {
		if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"+body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("NIXPASS_SETUP_ROOT", root)
	t.Setenv("NIXPASS_BINFMT_DIR", binfmt)
	t.Setenv("STUB_LOG", log)
	return root, binfmt, log
}

func TestVMSetupEmulation(t *testing.T) {
	if runtimeCPU() != "x86_64" {
		t.Skip("the stand-ins emulate an x86_64 VM setting up aarch64; this host is " + runtimeCPU())
	}
	w := newVMWorld(t, nil, vmInstance)
	root, _, log := setupStubs(t, "OCF")
	conf := filepath.Join(root, "etc", "nix", "nix.conf")
	os.MkdirAll(filepath.Dir(conf), 0o755)
	os.WriteFile(conf, []byte("trusted-users = root ubuntu\n"), 0o644)
	var said []string
	if err := w.vm.setupEmulation(context.Background(), func(s string) { said = append(said, s) }, emulatedSystems...); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(conf)
	if !strings.Contains(string(got), "\nextra-platforms = aarch64-linux\n") || strings.Contains(string(got), "x86_64-linux") {
		t.Errorf("daemon nix.conf after setup:\n%s", got)
	}
	calls, _ := os.ReadFile(log)
	if !strings.Contains(string(calls), "apt-get install -y -q qemu-user-static binfmt-support") ||
		!strings.Contains(string(calls), "systemctl restart nix-daemon") {
		t.Errorf("stand-in calls:\n%s", calls)
	}
	if !slices.ContainsFunc(said, func(s string) bool { return strings.Contains(s, "emulation ready") }) {
		t.Errorf("progress %q", said)
	}
	// Again: nothing to do, no restart.
	os.WriteFile(log, nil, 0o644)
	if err := w.vm.setupEmulation(context.Background(), func(string) {}, emulatedSystems...); err != nil {
		t.Fatal(err)
	}
	if calls, _ := os.ReadFile(log); len(calls) != 0 {
		t.Errorf("a second setup changed things: %s", calls)
	}
	if again, _ := os.ReadFile(conf); !bytes.Equal(again, got) {
		t.Errorf("a second setup rewrote nix.conf:\n%s", again)
	}
}

func TestVMSetupRegistersTheFFlag(t *testing.T) {
	if runtimeCPU() != "x86_64" {
		t.Skip("the stand-ins emulate an x86_64 VM setting up aarch64; this host is " + runtimeCPU())
	}
	w := newVMWorld(t, nil, vmInstance)
	// The package registers the handler without F: setup registers it
	// again with F, now (binfmt_misc/register) and at boot (binfmt.d).
	root, binfmt, _ := setupStubs(t, "OC")
	err := w.vm.SetupEmulation(context.Background(), "aarch64-linux", nil)
	reg, _ := os.ReadFile(filepath.Join(binfmt, "register"))
	if !strings.HasPrefix(string(reg), `:qemu-aarch64:M::\x7fELF\x02\x01\x01`) || !strings.HasSuffix(string(reg), ":/usr/bin/qemu-aarch64-static:F") {
		t.Errorf("registered %q", reg)
	}
	boot, _ := os.ReadFile(filepath.Join(root, "etc", "binfmt.d", "qemu-aarch64-static.conf"))
	if strings.TrimSpace(string(boot)) != string(reg) {
		t.Errorf("binfmt.d has %q", boot)
	}
	// The stand-in kernel does not apply the registration, so the check
	// after it fails: that is reported, with what is wrong.
	var be *builder.Error
	if !errors.As(err, &be) || !strings.Contains(be.Message, "lacks the F (fix-binary) flag") && !strings.Contains(be.Message, "disabled") {
		t.Errorf("err = %v", err)
	}
}

// runtimeCPU is this host's CPU as uname -m names it.
func runtimeCPU() string {
	out, _ := exec.Command("uname", "-m").Output()
	return strings.TrimSpace(string(out))
}

// The first build for a system the VM cannot run sets up emulation
// itself, saying so, and then builds: here an arm64 image through this
// host's real qemu-user, once the stand-in setup has "installed" it.
func TestVMFirstForeignBuildSetsUpEmulation(t *testing.T) {
	if runtimeCPU() != "x86_64" {
		t.Skip("the stand-ins emulate an x86_64 VM setting up aarch64; this host is " + runtimeCPU())
	}
	bb := os.Getenv("NIXPASS_CI_BUSYBOX_ARM64")
	if bb == "" {
		bb = "/var/lib/nixpass-ci/busybox-arm64/bin/busybox"
	}
	if _, err := os.Stat(bb); err != nil {
		if os.Getenv("NIXPASS_ALLOW_SKIP") == "1" {
			t.Skip("no static arm64 busybox: sudo .ci/setup")
		}
		t.Fatalf("no static arm64 busybox at %s: run sudo .ci/setup", bb)
	}
	w := newVMWorld(t, nil, vmInstance)
	root, _, log := setupStubs(t, "F")
	p := offlineProject(t, "unused", "")
	nix := fmt.Sprintf("import ./image.nix { busybox = %s; tag = \"vm-arm64\"; message = \"vm %d\"; }\n", bb, time.Now().UnixNano())
	os.WriteFile(filepath.Join(p.Dir, "default.nix"), []byte(nix), 0o644)
	p.System = "aarch64-linux"
	res := w.b.Build(context.Background(), p)
	if !res.Succeeded() || res.Platform != "linux/arm64" {
		t.Fatalf("build: %+v", res)
	}
	if calls, _ := os.ReadFile(log); !strings.Contains(string(calls), "apt-get install") {
		t.Errorf("emulation was not set up: %s", calls)
	}
	if conf, _ := os.ReadFile(filepath.Join(root, "etc", "nix", "nix.conf")); !strings.Contains(string(conf), "extra-platforms = aarch64-linux") {
		t.Errorf("nix.conf: %s", conf)
	}
	if b, _ := os.ReadFile(res.Log); !strings.Contains(string(b), "setting up aarch64-linux emulation") {
		t.Errorf("the log does not say emulation is being set up:\n%s", b)
	}
}

// A streamed image through the VM path: the program runs in the "VM",
// and cancelling stops it there and leaves no temporary file.
func TestVMStreamedImageAndCancel(t *testing.T) {
	w := newVMWorld(t, nil, vmInstance)
	p := offlineProject(t, "unused", "")
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "examples", "offline", "stream.nix"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(p.Dir, "stream.nix"), b, 0o644)
	os.WriteFile(filepath.Join(p.Dir, "default.nix"), []byte(`import ./stream.nix { tag = "vm-stream"; }`+"\n"), 0o644)
	res := w.b.Build(context.Background(), p)
	if !res.Succeeded() || res.Image != "offline-stream:vm-stream" || res.Bytes < 100000 {
		t.Fatalf("streamed build in the VM: %+v", res)
	}
	good, _ := os.ReadFile(filepath.Join(p.Dir, p.Output))

	sleep := fmt.Sprintf("sleep %d", 300000+time.Now().UnixNano()%600000)
	os.WriteFile(filepath.Join(p.Dir, "default.nix"), []byte(fmt.Sprintf("import ./stream.nix { tag = \"vm-stream-cancel\"; streamPrepare = %q; }\n", sleep)), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan *builder.Result)
	go func() { done <- w.b.Build(ctx, p) }()
	deadline := time.Now().Add(60 * time.Second)
	for exec.Command("pgrep", "-f", sleep).Run() != nil {
		if time.Now().After(deadline) {
			t.Fatal("the stream never started")
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if res := <-done; res.Kind != builder.KindCancelled {
		t.Fatalf("kind = %s: %+v", res.Kind, res)
	}
	if exec.Command("pgrep", "-f", sleep).Run() == nil {
		t.Error("the stream still runs inside the VM after cancel")
	}
	if now, _ := os.ReadFile(filepath.Join(p.Dir, p.Output)); !bytes.Equal(now, good) {
		t.Error("cancelling the stream changed the last good image")
	}
	assertNoTemps(t, p.Dir)
}

func TestVMHostileOutputName(t *testing.T) {
	w := newVMWorld(t, nil, vmInstance)
	p := offlineProject(t, "vm-hostile", "")
	p.Output = "my image $(touch pwned) 'q\"\nline ünï.tar.gz"
	res := w.b.Build(context.Background(), p)
	if !res.Succeeded() || res.Image != "offline:vm-hostile" {
		t.Fatalf("build: %+v", res)
	}
	if _, err := os.Stat(filepath.Join(p.Dir, p.Output)); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(filepath.Join(p.Dir, "pwned")); err == nil {
		t.Error("the output name was run as a command")
	}
	assertNoTemps(t, p.Dir)
}

func TestVMMissingMountIsAConfigError(t *testing.T) {
	w := newVMWorld(t, nil, vmInstance)
	p := offlineProject(t, "vm-nomount", "")
	p.Mounts = []string{filepath.Join(filepath.Dir(p.Dir), "gone")}
	res := w.b.Build(context.Background(), p)
	if res.Kind != builder.KindConfig || !strings.Contains(res.Message, "is not a folder") || !strings.Contains(res.Hint, "mounts") {
		t.Fatalf("got %+v", res)
	}
}
