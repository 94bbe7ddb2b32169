package vm

import (
	"context"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"nixpass/builder"
	"nixpass/builder/machine"
	"nixpass/builder/multipass/multipasstest"
)

const netrcSecret = "machine cache.example.org login ci password TOKEN-netrc-planted-77\n"

// TestVMSetupInstallsNetrc: [builder] netrc_file goes into the VM the way
// builder keys do (multipass transfer, then sudo install as root, 0600),
// the managed nix.conf points the daemon at it and is root-only too, and
// the secret is on no command line.
func TestVMSetupInstallsNetrc(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test installs files owned by root through the fake VM: run it as root (CI does)")
	}
	sudoShim(t)
	w := newVMWorld(t, nil, vmInstance)
	nixDir := filepath.Join(t.TempDir(), "etc nix")
	if err := os.MkdirAll(nixDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(nixDir, "nix.conf"), []byte("max-jobs = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	netrc := filepath.Join(t.TempDir(), "my netrc")
	if err := os.WriteFile(netrc, []byte(netrcSecret), 0o600); err != nil {
		t.Fatal(err)
	}
	w.vm.GuestNixDir, w.vm.NetrcFile = nixDir, netrc
	w.vm.Remote = machine.Remote{Substituters: []string{"https://cache.example.org"}}
	if err := w.vm.setupRemoteBuilders(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	guest := filepath.Join(nixDir, "netrc")
	for p, want := range map[string]os.FileMode{guest: 0o600, filepath.Join(nixDir, "nixpass.conf"): 0o600} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != want {
			t.Errorf("%s: mode %04o, want %04o", p, got, want)
		}
		if uid := st.Sys().(*syscall.Stat_t).Uid; uid != 0 {
			t.Errorf("%s: owner uid %d, want root", p, uid)
		}
	}
	if got := string(readBytes(t, guest)); got != netrcSecret {
		t.Errorf("netrc in the VM = %q, want the host's", got)
	}
	conf := string(readBytes(t, filepath.Join(nixDir, "nixpass.conf")))
	if !strings.Contains(conf, "netrc-file = "+guest+"\n") {
		t.Errorf("managed nix.conf does not point at the netrc:\n%s", conf)
	}
	transferred := false
	for _, c := range multipasstest.Calls(t, w.logPath) {
		if strings.Contains(strings.Join(c, " "), "TOKEN-netrc-planted") {
			t.Errorf("the netrc's secret is on a command line: %q", c)
		}
		if c[0] == "transfer" && c[1] == netrc {
			transferred = true
		}
	}
	if !transferred {
		t.Error("the netrc was not copied with multipass transfer")
	}
	if left, _ := os.ReadDir(filepath.Join(w.vm.GuestScriptDir, "staging")); len(left) != 0 {
		t.Errorf("staged copies left in the VM: %v", left)
	}

	// A missing netrc file is a config error naming it.
	w.vm.NetrcFile = filepath.Join(t.TempDir(), "absent")
	err := w.vm.setupRemoteBuilders(context.Background(), nil)
	if k := builder.KindOf(err); k != builder.KindConfig || !strings.Contains(err.Error(), "absent") {
		t.Errorf("missing netrc: %v (kind %s), want a config error naming it", err, k)
	}
}

// TestUnreadableManagedConfIsSkipped: the VM's nixpass.conf is root's and
// 0600; Nix run by a non-root user must still work, reading nix.conf and
// skipping the include it cannot read, while root (the daemon) reads it.
// Real Nix 2.8 on this host and 2.26 and 2.34 in the Debian roots.
func TestUnreadableManagedConfIsSkipped(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test makes root-only files and runs Nix as another user: run it as root (CI does)")
	}
	if _, err := exec.LookPath("nix"); err != nil {
		t.Fatal("nix is not installed: apt-get install nix-bin")
	}
	dir, err := os.MkdirTemp("", "nixpass-include-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	const token = "TOKEN-include-planted-31"
	if err := os.WriteFile(filepath.Join(dir, "nix.conf"), []byte("max-jobs = 3\n"+includeLine+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, managedConf), []byte("substituters = https://u:"+token+"@cache.example.org\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	inRoot, _ := filepath.Abs(filepath.Join("..", "..", "..", ".ci", "in-root"))
	env := []string{"NIX_CONF_DIR=" + dir, "HOME=/tmp", "XDG_CACHE_HOME=/tmp/nixpass-include-cache", "PATH=" + os.Getenv("PATH")}
	type nixRun struct {
		name   string
		argv   []string // the Nix that reads the config, as root
		asUser func(argv []string) []string
	}
	feat := []string{"nix", "--extra-experimental-features", "nix-command"}
	runs := []nixRun{{
		name: "nix 2.8 (host)", argv: append(feat, "show-config"),
		asUser: func(argv []string) []string {
			return append([]string{"setpriv", "--reuid=" + ciUID(t), "--regid=" + ciUID(t), "--clear-groups"}, argv...)
		},
	}}
	for _, r := range []struct{ name, root string }{{"nix 2.26 (trixie)", "/var/lib/nixpass-ci/roots/trixie"}, {"nix 2.34 (sid)", "/var/lib/nixpass-ci/roots/sid"}} {
		if _, err := os.Stat(filepath.Join(r.root, "usr/bin/nix")); err != nil {
			t.Fatalf("no Nix root at %s: run .ci/setup", r.root)
		}
		in := []string{inRoot, "--bind", dir, r.root, "env"}
		runs = append(runs, nixRun{
			name: r.name, argv: append(append(in, env...), append(feat, "config", "show")...),
			asUser: func(argv []string) []string {
				// nobody exists in every root; Nix needs a passwd entry.
				out := append([]string{}, argv[:5]...)
				out = append(out, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "env")
				return append(out, argv[5:]...)
			},
		})
	}
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			run := func(argv []string) string {
				cmd := exec.Command(argv[0], argv[1:]...)
				cmd.Env = env
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("%q: %v\n%s", argv, err, out)
				}
				return string(out)
			}
			user := run(r.asUser(r.argv))
			if !strings.Contains(user, "max-jobs = 3") {
				t.Errorf("as a user: nix.conf not read:\n%s", user)
			}
			if strings.Contains(user, token) {
				t.Errorf("as a user: the root-only include was read:\n%s", user)
			}
			root := run(r.argv)
			if !strings.Contains(root, token) {
				t.Errorf("as root: the include was not read:\n%s", root)
			}
		})
	}
}

// ciUID is the uid of CI's non-root user nixpass-ci (.ci/setup makes it).
func ciUID(t *testing.T) string {
	u, err := user.Lookup("nixpass-ci")
	if err != nil {
		t.Fatalf("no user nixpass-ci: run .ci/setup")
	}
	if _, err := strconv.Atoi(u.Uid); err != nil {
		t.Fatal(err)
	}
	return u.Uid
}
