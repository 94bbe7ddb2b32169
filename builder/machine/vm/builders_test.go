package vm

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"nixpass/builder"
	"nixpass/builder/machine"
	"nixpass/builder/multipass/multipasstest"
	"nixpass/builder/sshconf"
)

// sudoShim puts a sudo first on PATH that runs its command (the fake's
// "VM" is this host, as root) but only records `systemctl restart
// nix-daemon`, which must not touch this machine's daemon.
func sudoShim(t *testing.T) (log string) {
	t.Helper()
	dir := t.TempDir()
	log = filepath.Join(dir, "sudo.log")
	script := "#!/bin/sh\nprintf '%s\\n' \"$*\" >>\"$SUDO_SHIM_LOG\"\n[ \"$1\" = systemctl ] && exit 0\nexec \"$@\"\n"
	if err := os.WriteFile(filepath.Join(dir, "sudo"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SUDO_SHIM_LOG", log)
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return log
}

const (
	testHostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAutsIVDxkCHK2zoPPw2sNJCc/AGCcNrkloZg2chwfdY"
	keySecret   = "-----BEGIN OPENSSH PRIVATE KEY-----\nnixpass-test-secret-do-not-log\n-----END OPENSSH PRIVATE KEY-----\n"
)

func TestVMSetupRemoteBuilders(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test installs files owned by root through the fake VM: run it as root (CI does)")
	}
	sudoLog := sudoShim(t)
	w := newVMWorld(t, nil, vmInstance)
	nixDir := filepath.Join(t.TempDir(), "etc nix 'é'")
	if err := os.MkdirAll(nixDir, 0o755); err != nil {
		t.Fatal(err)
	}
	nixConf := filepath.Join(nixDir, "nix.conf")
	os.WriteFile(nixConf, []byte("experimental-features = nix-command flakes\nmax-jobs = 1\n"), 0o644)
	hostDir := t.TempDir()
	key := filepath.Join(hostDir, "nix_builder")
	os.WriteFile(key, []byte(keySecret), 0o600)
	kh := filepath.Join(hostDir, "known_hosts")
	os.WriteFile(kh, []byte("bigbox "+testHostKey+"\n"), 0o644)
	other := base64.StdEncoding.EncodeToString([]byte("ssh-ed25519 AAAAother"))
	zero := 0
	w.vm.GuestNixDir, w.vm.KnownHosts = nixDir, kh
	w.vm.Remote = machine.Remote{
		Builders:     []string{"ssh-ng://me@bigbox x86_64-linux " + key + " 16 1 big-parallel", "ssh://team - " + key + " 2 1 - - " + other},
		MaxJobs:      &zero,
		Substituters: []string{"https://cache.nixos.org", "https://my-team.cachix.org"},
	}

	ctx := context.Background()
	for range 2 { // idempotent
		if err := w.vm.setupRemoteBuilders(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}

	conf := string(readBytes(t, filepath.Join(nixDir, "nixpass.conf")))
	keyDir := filepath.Join(nixDir, "nixpass-keys")
	ents, _ := os.ReadDir(keyDir)
	if len(ents) != 1 {
		t.Fatalf("key folder holds %d files, want the one key (used twice): %v", len(ents), ents)
	}
	guestKey := filepath.Join(keyDir, ents[0].Name())
	pinned := base64.StdEncoding.EncodeToString([]byte(testHostKey))
	for _, want := range []string{
		"builders = ssh-ng://me@bigbox x86_64-linux " + guestKey + " 16 1 big-parallel - " + pinned + " ; ssh://team - " + guestKey + " 2 1 - - " + other + "\n",
		"max-jobs = 0\n",
		"substituters = https://cache.nixos.org https://my-team.cachix.org\n",
	} {
		if !strings.Contains(conf, want) {
			t.Errorf("managed nix.conf lacks %q:\n%s", want, conf)
		}
	}
	if strings.Contains(conf, key) {
		t.Errorf("managed nix.conf names the host's key path:\n%s", conf)
	}
	mode := func(p string) os.FileMode {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return st.Mode().Perm()
	}
	if m := mode(guestKey); m != 0o600 {
		t.Errorf("key mode %o, want 600", m)
	}
	if m := mode(keyDir); m != 0o700 {
		t.Errorf("key folder mode %o, want 700", m)
	}
	if m := mode(filepath.Join(nixDir, "nixpass.conf")); m != 0o600 {
		t.Errorf("managed nix.conf mode %o, want 600 (it may name caches with credentials)", m)
	}
	if got := string(readBytes(t, guestKey)); got != keySecret {
		t.Error("the key in the VM differs from the host's")
	}
	if n := strings.Count(string(readBytes(t, nixConf)), "\n!include nixpass.conf\n"); n != 1 {
		t.Errorf("nix.conf includes nixpass.conf %d times, want once:\n%s", n, readBytes(t, nixConf))
	}
	if !strings.Contains(string(readBytes(t, sudoLog)), "systemctl restart nix-daemon") {
		t.Error("nix-daemon was not restarted")
	}
	staging := filepath.Join(w.vm.GuestScriptDir, "staging")
	if left, _ := os.ReadDir(staging); len(left) != 0 {
		t.Errorf("staged copies left in the VM: %v", left)
	}

	// The key went in by multipass transfer, every command as argv, and
	// the secret never on a command line.
	keyTransfer := false
	for _, c := range multipasstest.Calls(t, w.logPath) {
		line := strings.Join(c, " ")
		if strings.Contains(line, "nixpass-test-secret") {
			t.Errorf("the key's content is on a command line: %q", c)
		}
		if c[0] == "transfer" && c[1] == key {
			keyTransfer = true
		}
		if c[0] == "exec" && slices.Contains(c, "-c") {
			t.Errorf("a shell string: %q", c)
		}
	}
	if !keyTransfer {
		t.Error("the key was not copied with multipass transfer")
	}
}

func TestVMSetupRemoteBuildersNeedsHostKey(t *testing.T) {
	w := newVMWorld(t, nil, vmInstance)
	key := filepath.Join(t.TempDir(), "k")
	os.WriteFile(key, []byte(keySecret), 0o600)
	w.vm.GuestNixDir = t.TempDir()
	w.vm.KnownHosts = filepath.Join(t.TempDir(), "known_hosts")
	os.WriteFile(w.vm.KnownHosts, []byte("elsewhere "+testHostKey+"\n"), 0o644)
	w.vm.Remote = machine.Remote{Builders: []string{"ssh-ng://me@bigbox x86_64-linux " + key}}
	err := w.vm.setupRemoteBuilders(context.Background(), nil)
	var be *builder.Error
	if !errors.As(err, &be) || be.Kind != builder.KindConfig || !strings.Contains(be.Message, "host key of the remote builder ssh-ng://me@bigbox is not known") ||
		!strings.Contains(be.Hint, "ssh bigbox") {
		t.Fatalf("got %v", err)
	}
	for _, c := range multipasstest.Calls(t, w.logPath) {
		if c[0] == "transfer" && c[1] == key {
			t.Error("the key was copied although the builder cannot be pinned")
		}
	}
}

func readBytes(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestVMCreateWritesRemoteBuilders(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test installs files owned by root through the fake VM: run it as root (CI does)")
	}
	sudoShim(t)
	w := newVMWorld(t, nil)
	w.vm.GuestNixDir = t.TempDir()
	os.WriteFile(filepath.Join(w.vm.GuestNixDir, "nix.conf"), []byte("!include nixpass.conf\n"), 0o644)
	jobs := 0
	w.vm.Remote = machine.Remote{Builders: []string{"ssh-ng://me@bigbox - - 4 1 - - " + base64.StdEncoding.EncodeToString([]byte(testHostKey))}, MaxJobs: &jobs}
	if err := w.vm.Create(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	conf := string(readBytes(t, filepath.Join(w.vm.GuestNixDir, "nixpass.conf")))
	if !strings.Contains(conf, "builders = ssh-ng://me@bigbox - - 4 1 - - ") || !strings.Contains(conf, "max-jobs = 0") {
		t.Errorf("a new VM's managed nix.conf:\n%s", conf)
	}
	if n := strings.Count(string(readBytes(t, filepath.Join(w.vm.GuestNixDir, "nix.conf"))), "!include nixpass.conf"); n != 1 {
		t.Errorf("the include is there %d times, want once (cloud-init writes it)", n)
	}
}

// TestVMRemoteBuilderDown builds through the fake VM, whose Nix (this
// host's, as root) has a builder nobody listens for, as the VM's daemon
// would after `nixpass vm setup`: unavailable, with ssh's words and how to
// check from inside the VM.
func TestVMRemoteBuilderDown(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test builds with a local store, as root (CI does)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cfg := filepath.Join(t.TempDir(), "ssh_config")
	os.WriteFile(cfg, []byte(fmt.Sprintf("Host nixpass-down\n  HostName 127.0.0.1\n  Port %d\n  BatchMode yes\n", port)), 0o644)
	w := newVMWorld(t, []string{"NIX_SSHOPTS=-F " + cfg}, vmInstance)
	t.Setenv("NIX_CONFIG", "substituters =\nbuilders = ssh-ng://nixpass-down x86_64-linux - 1 1\nmax-jobs = 0\n")
	res := w.b.Build(context.Background(), offlineProject(t, fmt.Sprintf("vm-down-%d", time.Now().UnixNano()), ""))
	if res.Kind != builder.KindUnavailable || !strings.Contains(res.Message, "the remote builder ssh-ng://nixpass-down cannot be reached") ||
		!strings.Contains(res.Message, "Connection refused") ||
		!strings.Contains(res.Hint, "multipass exec nixpass -- sudo nix store ping --store ssh-ng://nixpass-down") {
		t.Errorf("got %s: %s\nhint: %s", res.Kind, res.Message, res.Hint)
	}
}

// TestVMCreateWritesTeamCache: [cache]'s pull alone makes a new VM's
// managed nix.conf, and the VM's Nix (here this host's, reading the same
// folder) takes the cache as a substituter with its key.
func TestVMCreateWritesTeamCache(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test installs files owned by root through the fake VM: run it as root (CI does)")
	}
	sudoShim(t)
	w := newVMWorld(t, nil)
	w.vm.GuestNixDir = t.TempDir()
	os.WriteFile(filepath.Join(w.vm.GuestNixDir, "nix.conf"), []byte("!include nixpass.conf\n"), 0o644)
	const url, key = "https://cache.example.com", "team-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY="
	w.vm.Cache = []machine.Setting{{Name: "extra-substituters", Value: url}, {Name: "extra-trusted-public-keys", Value: key}, {Name: "narinfo-cache-negative-ttl", Value: "0"}}
	if err := w.vm.Create(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	conf := string(readBytes(t, filepath.Join(w.vm.GuestNixDir, "nixpass.conf")))
	for _, want := range []string{"extra-substituters = " + url + "\n", "extra-trusted-public-keys = " + key + "\n", "narinfo-cache-negative-ttl = 0\n"} {
		if !strings.Contains(conf, want) {
			t.Errorf("managed nix.conf lacks %q:\n%s", want, conf)
		}
	}
	cmd := exec.Command("nix", "--extra-experimental-features", "nix-command", "show-config")
	cmd.Env = append(os.Environ(), "NIX_CONF_DIR="+w.vm.GuestNixDir, "NIX_CONFIG=")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("nix show-config: %v", err)
	}
	got := map[string]string{}
	for _, l := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(l, " = "); ok {
			got[k] = v
		}
	}
	if !slices.Contains(strings.Fields(got["substituters"]), url) || !slices.Contains(strings.Fields(got["trusted-public-keys"]), key) || got["narinfo-cache-negative-ttl"] != "0" {
		t.Errorf("Nix reads substituters %q, trusted-public-keys %q, narinfo-cache-negative-ttl %q; want the cache, its key and 0", got["substituters"], got["trusted-public-keys"], got["narinfo-cache-negative-ttl"])
	}
}

// A builder's host key is looked up as ssh wrote it into known_hosts: a
// port other than 22 as [HOST]:PORT, an alias of the user's ssh config
// by its HostName and Port.
func TestKnownHostsName(t *testing.T) {
	cfg, err := sshconf.Parse(strings.NewReader("Host team\n  HostName build.example.com\n  Port 2222\nHost plain\n  User ana\n"), "config")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		uri, want   string
		wantConnect []string
	}{
		{"ssh-ng://me@bigbox", "bigbox", []string{"ssh", "bigbox"}},
		{"ssh://me@bigbox:2200", "[bigbox]:2200", []string{"ssh", "-p", "2200", "bigbox"}},
		{"ssh://bigbox:22", "bigbox", []string{"ssh", "-p", "22", "bigbox"}},
		{"ssh-ng://team", "[build.example.com]:2222", []string{"ssh", "team"}},
		{"ssh-ng://me@team:2400?compress=true", "[build.example.com]:2400", []string{"ssh", "-p", "2400", "team"}},
		{"ssh://plain", "plain", []string{"ssh", "plain"}},
		{"ssh://[fe80::1]:2022", "[fe80::1]:2022", []string{"ssh", "-p", "2022", "fe80::1"}},
	}
	for _, tt := range tests {
		got, connect := knownHostsName(tt.uri, cfg)
		if got != tt.want || !slices.Equal(connect, tt.wantConnect) {
			t.Errorf("knownHostsName(%q) = %q, %q, want %q, %q", tt.uri, got, connect, tt.want, tt.wantConnect)
		}
	}
}

// A builder on another port is pinned from its [HOST]:PORT line of
// known_hosts.
func TestPinnedHostKeyWithPort(t *testing.T) {
	w := newVMWorld(t, nil, vmInstance)
	w.vm.KnownHosts = filepath.Join(t.TempDir(), "known_hosts")
	w.vm.SSHConfig = filepath.Join(t.TempDir(), "none")
	os.WriteFile(w.vm.KnownHosts, []byte("bigbox ssh-ed25519 AAAAwrong\n[bigbox]:2200 "+testHostKey+"\n"), 0o644)
	got, err := w.vm.pinnedHostKey(context.Background(), "ssh-ng://me@bigbox:2200")
	if err != nil {
		t.Fatal(err)
	}
	if want := base64.StdEncoding.EncodeToString([]byte(testHostKey)); got != want {
		t.Errorf("pinned %q, want the [bigbox]:2200 key %q", got, want)
	}
}
