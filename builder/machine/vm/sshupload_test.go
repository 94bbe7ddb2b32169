package vm

import (
	"context"
	"encoding/base64"
	"fmt"
	"net"
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
	"nixpass/builder/cache"
)

// sshUploader asks the script to upload and hands back what it said.
type sshUploader struct{ key string }

func (u sshUploader) Key() string                         { return u.key }
func (u sshUploader) ScriptArgs(uploaded string) []string { return []string{"--upload"} }
func (u sshUploader) ScriptResult(rep build.ScriptUpload) (*builder.CacheUpload, string, error) {
	if rep.Failed {
		return &builder.CacheUpload{Error: rep.Output}, u.key, &builder.Error{Kind: builder.KindCache, Message: rep.Output}
	}
	return &builder.CacheUpload{URL: u.key, Paths: rep.Paths}, u.key, nil
}

// TestVMUploadOverSSH uploads from the VM (the fake's exec, here) to CI's
// loopback builder over ssh-ng://, named by a Host alias of the user's
// ~/.ssh/config: vm setup copies the alias, its key (0600) and the host's
// known_hosts line into the VM; the build script's nix copy uses them
// and the builder's own store holds the path, signed.
func TestVMUploadOverSSH(t *testing.T) {
	keys := "/var/lib/nixpass-ci/remote-builder"
	if _, err := os.Stat(filepath.Join(keys, "client_key")); err != nil || os.Geteuid() != 0 {
		t.Fatal("no loopback remote builder, or not root: sudo .ci/remote-builder.sh, and run the tests as root (CI does)")
	}
	rb, err := user.Lookup("nixpass-rb")
	if err != nil {
		t.Fatal("no user nixpass-rb: sudo .ci/remote-builder.sh")
	}
	sudoShim(t)
	w := newVMWorld(t, nil, vmInstance)
	k, _ := cache.NewKeyPair("nixpass-vm-ssh-1")
	secret, err := cache.WriteKeyPair(filepath.Join(t.TempDir(), "keys"), k)
	if err != nil {
		t.Fatal(err)
	}
	port := sshd(t, keys, "SetEnv NIX_CONFIG=\"extra-trusted-public-keys = "+k.Public+"\"")

	home := t.TempDir()
	t.Setenv("HOME", home)
	os.MkdirAll(filepath.Join(home, ".ssh"), 0o700)
	hostKey := strings.Fields(string(readBytes(t, filepath.Join(keys, "host_key.pub"))))
	os.WriteFile(filepath.Join(home, ".ssh", "known_hosts"), fmt.Appendf(nil, "[127.0.0.1]:%d %s %s\n", port, hostKey[0], hostKey[1]), 0o600)
	os.WriteFile(filepath.Join(home, ".ssh", "config"), fmt.Appendf(nil, "Host team-box\n  HostName 127.0.0.1\n  Port %d\n  User nixpass-rb\n  IdentityFile %s\n  UseKeychain yes\n",
		port, filepath.Join(keys, "client_key")), 0o600)
	w.vm.GuestNixDir = t.TempDir()
	w.vm.SSHConfig = filepath.Join(home, ".ssh", "config")
	w.vm.Upload = Upload{URL: "ssh-ng://team-box", SecretKeyFile: secret}

	var said []string
	if err := w.vm.setupRemoteBuilders(context.Background(), func(s string) { said = append(said, s) }); err != nil {
		t.Fatal(err)
	}
	dir := w.vm.guestUploadSSHDir()
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("the VM's ssh folder %s: %v, want 0700", dir, err)
	}
	conf := string(readBytes(t, filepath.Join(dir, "config")))
	if !strings.Contains(conf, "Host team-box\n  HostKeyAlias team-box\n  HostName 127.0.0.1\n") || strings.Contains(conf, "UseKeychain") || !strings.Contains(conf, "IdentityFile "+dir+"/key-") {
		t.Errorf("the VM's ssh config:\n%s\nwant team-box with its key in %s, without UseKeychain", conf, dir)
	}
	if !strings.Contains(strings.Join(said, "\n"), "UseKeychain") {
		t.Errorf("no warning about UseKeychain in %q", said)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if info, _ := e.Info(); info.Mode().Perm() != 0o600 {
			t.Errorf("%s is %v, want 0600", e.Name(), info.Mode().Perm())
		}
	}

	w.b.ScriptCache = sshUploader{key: "ssh-ng://team-box"}
	p := offlineProject(t, "vm-ssh-upload-"+time.Now().Format("150405.000000000"), "")
	res := w.b.Build(context.Background(), p)
	if res.Status != builder.StatusSucceeded || res.Cache == nil || res.Cache.Paths < 1 {
		t.Fatalf("build: %s %s: %s (cache %+v)\n%s", res.Status, res.Kind, res.Message, res.Cache, readBytes(t, res.Log))
	}
	sigs, err := asRB(rb, "nix", "--extra-experimental-features", "nix-command", "path-info", "--sigs",
		"--store", "local?root="+filepath.Join(rb.HomeDir, "remote-store"), res.StorePath)
	if err != nil || !strings.Contains(sigs, "nixpass-vm-ssh-1:") {
		t.Errorf("the builder's store shows %q (%v), want %s signed by nixpass-vm-ssh-1", sigs, err, res.StorePath)
	}
}

// sshd runs sshd for nixpass-rb on a free loopback port (extra: a line
// for its sshd_config) until the test ends.
func sshd(t *testing.T, keys, extra string) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	conf := filepath.Join(t.TempDir(), "sshd_config")
	os.WriteFile(conf, fmt.Appendf(nil, "ListenAddress 127.0.0.1\nPort %d\nHostKey %s\nPidFile none\nUsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nAllowUsers nixpass-rb\n%s\n",
		port, filepath.Join(keys, "host_key"), extra), 0o600)
	os.MkdirAll("/run/sshd", 0o755)
	cmd := exec.Command("/usr/sbin/sshd", "-f", conf, "-D", "-e")
	if err := cmd.Start(); err != nil {
		t.Fatalf("start sshd: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for range 100 {
		if c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
			c.Close()
			return port
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("sshd did not listen on %d", port)
	return 0
}

// asRB runs a command as u, through its nix-daemon.
func asRB(u *user.User, name string, args ...string) (string, error) {
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	cmd.Env = []string{"HOME=" + u.HomeDir, "PATH=" + os.Getenv("PATH"), "USER=" + u.Username}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestVMSetupBuilderAlias: a builders line naming a Host alias of the
// user's ~/.ssh/config (HostName, Port, User and IdentityFile there, the
// host key under [127.0.0.1]:PORT) works for the VM's nix-daemon: vm
// setup copies the alias with HostKeyAlias, its key (root's, 0600) and
// the host key under the alias, pins the key in the machine line, and
// points the daemon's ssh at the copy with a drop-in. Nix itself, given
// that drop-in's NIX_SSHOPTS and the pinned key, reaches CI's loopback
// builder through it.
func TestVMSetupBuilderAlias(t *testing.T) {
	keys := "/var/lib/nixpass-ci/remote-builder"
	if _, err := os.Stat(filepath.Join(keys, "client_key")); err != nil || os.Geteuid() != 0 {
		t.Fatal("no loopback remote builder, or not root: sudo .ci/remote-builder.sh, and run the tests as root (CI does)")
	}
	sudoLog := sudoShim(t)
	w := newVMWorld(t, nil, vmInstance)
	port := sshd(t, keys, "")
	home := t.TempDir()
	t.Setenv("HOME", home)
	os.MkdirAll(filepath.Join(home, ".ssh"), 0o700)
	hostKey := strings.Fields(string(readBytes(t, filepath.Join(keys, "host_key.pub"))))
	w.vm.KnownHosts = filepath.Join(home, ".ssh", "known_hosts")
	os.WriteFile(w.vm.KnownHosts, fmt.Appendf(nil, "[127.0.0.1]:%d %s %s\n", port, hostKey[0], hostKey[1]), 0o600)
	w.vm.SSHConfig = filepath.Join(home, ".ssh", "config")
	os.WriteFile(w.vm.SSHConfig, fmt.Appendf(nil, "Host team-box\n  HostName 127.0.0.1\n  Port %d\n  User nixpass-rb\n  IdentityFile %s\n  IdentityAgent /private/agent.sock\n",
		port, filepath.Join(keys, "client_key")), 0o600)
	nixDir := t.TempDir()
	os.WriteFile(filepath.Join(nixDir, "nix.conf"), []byte("max-jobs = 1\n"), 0o644)
	w.vm.GuestNixDir = nixDir
	w.vm.Remote.Builders = []string{"ssh-ng://team-box x86_64-linux - 1 1"}

	if err := w.vm.setupRemoteBuilders(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(nixDir, "nixpass-ssh")
	conf := string(readBytes(t, filepath.Join(dir, "config")))
	if !strings.Contains(conf, "Host team-box\n  HostKeyAlias team-box\n  HostName 127.0.0.1\n  User nixpass-rb\n  Port "+strconv.Itoa(port)+"\n  IdentityFile "+dir+"/key-") || strings.Contains(conf, "IdentityAgent") {
		t.Errorf("the daemon's ssh config:\n%s", conf)
	}
	if kh := string(readBytes(t, filepath.Join(dir, "known_hosts"))); kh != "team-box "+hostKey[0]+" "+hostKey[1]+"\n" {
		t.Errorf("the daemon's known_hosts %q, want the host key under the alias", kh)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if info, _ := e.Info(); info.Mode().Perm() != 0o600 {
			t.Errorf("%s is %v, want 0600", e.Name(), info.Mode().Perm())
		}
	}
	dropIn := string(readBytes(t, filepath.Join(nixDir, "nix-daemon.service.d", "nixpass-ssh.conf")))
	if !strings.Contains(dropIn, "[Service]\nEnvironment=\"NIX_SSHOPTS=-F "+dir+"/config\"\n") {
		t.Errorf("drop-in:\n%s", dropIn)
	}
	if log := string(readBytes(t, sudoLog)); !strings.Contains(log, "systemctl daemon-reload\nsystemctl restart nix-daemon") {
		t.Errorf("sudo log lacks the reload before the restart:\n%s", log)
	}
	pinned := base64.StdEncoding.EncodeToString([]byte(hostKey[0] + " " + hostKey[1]))
	nixConf := string(readBytes(t, filepath.Join(nixDir, "nixpass.conf")))
	if !strings.Contains(nixConf, "ssh-ng://team-box x86_64-linux - 1 1 - - "+pinned) {
		t.Fatalf("machine line not pinned to the [127.0.0.1]:%d key:\n%s", port, nixConf)
	}

	// What the daemon's build hook does: the drop-in's NIX_SSHOPTS, the
	// machine line's pinned key.
	cmd := exec.Command("nix", "--extra-experimental-features", "nix-command", "store", "ping", "--store", "ssh-ng://team-box?base64-ssh-public-host-key="+pinned)
	cmd.Env = append(os.Environ(), "NIX_SSHOPTS=-F "+dir+"/config", "NIX_CONFIG=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nix store ping through the VM's copy: %v\n%s", err, out)
	}
	// Without the copy the alias means nothing.
	cmd = exec.Command("nix", "--extra-experimental-features", "nix-command", "store", "ping", "--store", "ssh-ng://team-box?base64-ssh-public-host-key="+pinned)
	cmd.Env = append(os.Environ(), "NIX_SSHOPTS=-F /dev/null", "NIX_CONFIG=")
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Errorf("nix store ping without the copy worked: the test proves nothing\n%s", out)
	}
}
