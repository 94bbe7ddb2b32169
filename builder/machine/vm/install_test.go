package vm

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nixpass/builder"
	"nixpass/builder/multipass/multipasstest"
	"nixpass/builder/script"
)

// The exec that installs the script says so when it cannot, in a build
// and in the VM verbs' check alike: unavailable, with the VM's remedy,
// never a build failure or a Nix message.
func TestVMScriptInstallFails(t *testing.T) {
	for _, via := range []string{"build", "start"} {
		t.Run(via, func(t *testing.T) {
			w := newVMWorld(t, nil, vmInstance)
			// A folder under a regular file: mkdir -p fails, even for root.
			file := filepath.Join(t.TempDir(), "a file")
			if err := os.WriteFile(file, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			w.vm.GuestScriptDir = filepath.Join(file, "nixpass")
			var kind builder.Kind
			var msg, hint string
			if via == "build" {
				res := w.b.Build(context.Background(), offlineProject(t, "vm-install-fails", ""))
				kind, msg, hint = res.Kind, res.Message, res.Hint
			} else {
				err := w.vm.Start(context.Background(), nil)
				be, _ := err.(*builder.Error)
				if be == nil {
					t.Fatalf("Start = %v, want a *builder.Error", err)
				}
				kind, msg, hint = be.Kind, be.Message, be.Hint
			}
			if kind != builder.KindUnavailable || !strings.Contains(msg, "could not install the build script") ||
				!strings.Contains(msg, "cannot install the build script at") || !strings.Contains(hint, "nixpass vm status") {
				t.Errorf("kind %s, message %q, hint %q", kind, msg, hint)
			}
			if strings.Contains(msg, "head -c") {
				t.Errorf("the message shows the installer's program: %q", msg)
			}
		})
	}
}

// A VM without Nix (its first boot failed) gives the VM's remedy from a
// build, which checks Nix itself.
func TestVMBuildNixMissing(t *testing.T) {
	w := newVMWorld(t, nil, vmInstance)
	if err := os.WriteFile(w.vm.scriptPath(), []byte("#!/bin/sh\nexit 69\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	res := w.b.Build(context.Background(), offlineProject(t, "vm-no-nix", ""))
	if res.Kind != builder.KindUnavailable || !strings.Contains(res.Message, "Nix is not installed") || !strings.Contains(res.Hint, "cloud-init-output.log") {
		t.Errorf("kind %s, message %q, hint %q", res.Kind, res.Message, res.Hint)
	}
}

// An installed script is left as it is (its name carries its hash), and
// a missing one is installed whole, with nothing left beside it.
func TestVMInstallScript(t *testing.T) {
	w := newVMWorld(t, nil, vmInstance)
	w.vm.GuestScriptDir = filepath.Join(t.TempDir(), "new", "folder")
	if err := w.vm.installScript(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(w.vm.scriptPath()); err != nil || !bytes.Equal(got, script.Body()) {
		t.Fatalf("installed script differs: %v", err)
	}
	if ents, _ := os.ReadDir(w.vm.GuestScriptDir); len(ents) != 1 {
		t.Errorf("the script folder holds %d files, want the script only", len(ents))
	}
	// Installed already: read and dropped, not written again.
	os.WriteFile(w.vm.scriptPath(), []byte("mine"), 0o644)
	if err := w.vm.installScript(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(w.vm.scriptPath()); string(got) != "mine" {
		t.Errorf("an installed script was replaced: %q", got)
	}
	for _, r := range multipasstest.Results(t, w.logPath) {
		if r.Exit != 0 || r.Argv[0] != "exec" {
			t.Errorf("call %q exit %d, want execs that succeed", r.Argv, r.Exit)
		}
	}
}
