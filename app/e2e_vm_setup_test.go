package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nixpass/builder/multipass/multipasstest"
)

// TestVMSetupVerb runs `nixpass vm setup` against the fake multipass
// (whose "VM" is this host): the managed nix.conf and the key land in the
// folder that stands for the VM's /etc/nix, and nix-daemon is restarted
// (by a sudo stand-in that records it rather than touching this host's
// daemon).
func TestVMSetupVerb(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test installs root-owned files through the fake VM: run it as root (CI does)")
	}
	bin := multipasstest.Build(t)
	env, _, logPath := multipasstest.NewWorld(t, multipasstest.FakeInstance{Name: "nixpass", State: "Running", CPUs: 2, Memory: 4 << 30, Disk: 20 << 30})
	tmp := t.TempDir()
	shim := filepath.Join(tmp, "shim")
	os.MkdirAll(shim, 0o755)
	writeFile(t, filepath.Join(shim, "sudo"), "#!/bin/sh\n[ \"$1\" = -n ] && shift\nprintf '%s\\n' \"$*\" >>\"$SUDO_SHIM_LOG\"\n[ \"$1\" = systemctl ] && exit 0\nexec \"$@\"\n")
	// vm setup also sets up emulation: a handler already registered with
	// the F flag, and the VM's /etc in a private root.
	setupRoot, binfmt := filepath.Join(tmp, "setup-root"), filepath.Join(tmp, "binfmt")
	for _, d := range []string{filepath.Join(setupRoot, "etc", "nix"), binfmt} {
		os.MkdirAll(d, 0o755)
	}
	writeFile(t, filepath.Join(shim, "systemctl"), "#!/bin/sh\nprintf 'systemctl %s\\n' \"$*\" >>\"$SUDO_SHIM_LOG\"\n")
	os.Chmod(filepath.Join(shim, "systemctl"), 0o755)
	for _, cpu := range []string{"aarch64", "x86_64"} {
		writeFile(t, filepath.Join(binfmt, "qemu-"+cpu), "enabled\ninterpreter /usr/bin/qemu-"+cpu+"-static\nflags: OCF\n")
	}
	os.Chmod(filepath.Join(shim, "sudo"), 0o755)
	nixDir := filepath.Join(tmp, "etc-nix")
	os.MkdirAll(nixDir, 0o755)
	writeFile(t, filepath.Join(nixDir, "nix.conf"), "max-jobs = 1\n")
	key := filepath.Join(tmp, "nix_builder")
	if err := os.WriteFile(key, []byte("private key bytes\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	hostKey := base64.StdEncoding.EncodeToString([]byte("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAutsIVDxkCHK2zoPPw2sNJCc/AGCcNrkloZg2chwfdY"))

	w := newWorld(t)
	w.env = append(w.env, env...)
	w.env = append(w.env, "PATH="+shim+string(os.PathListSeparator)+os.Getenv("PATH"), "SUDO_SHIM_LOG="+filepath.Join(tmp, "sudo.log"),
		"NIXPASS_GUEST_SCRIPT_DIR="+filepath.Join(tmp, "guest-cache"), "NIXPASS_GUEST_NIX_DIR="+nixDir,
		"NIXPASS_SETUP_ROOT="+setupRoot, "NIXPASS_BINFMT_DIR="+binfmt)
	w.writeConfig(fmt.Sprintf("[builder]\nbackend = \"multipass\"\nmultipass = %q\nbuilders = [\"ssh-ng://me@bigbox x86_64-linux %s 8 1 - - %s\"]\nmax_jobs = 0\n", bin, key, hostKey))

	o := w.run("vm", "setup")
	if o.code != 0 || !strings.Contains(o.stdout, `builder VM "nixpass": setup done`) {
		t.Fatalf("vm setup: %v", o)
	}
	conf := string(readFile(t, filepath.Join(nixDir, "nixpass.conf")))
	if !strings.Contains(conf, "builders = ssh-ng://me@bigbox x86_64-linux "+filepath.Join(nixDir, "nixpass-keys")+"/builder-") || !strings.Contains(conf, "max-jobs = 0\n") {
		t.Errorf("managed nix.conf:\n%s", conf)
	}
	if !strings.Contains(string(readFile(t, filepath.Join(nixDir, "nix.conf"))), "\n!include nixpass.conf\n") {
		t.Error("nix.conf does not include nixpass.conf")
	}
	if !strings.Contains(string(readFile(t, filepath.Join(tmp, "sudo.log"))), "systemctl restart nix-daemon") {
		t.Error("nix-daemon was not restarted")
	}
	if strings.Contains(o.stderr, "private key bytes") {
		t.Error("the key's content is in the output")
	}
	transferred := false
	for _, c := range multipasstest.Calls(t, logPath) {
		if c[0] == "transfer" && c[1] == key {
			transferred = true
		}
	}
	if !transferred {
		t.Error("the key did not go in with multipass transfer")
	}
}
