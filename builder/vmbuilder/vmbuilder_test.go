package vmbuilder

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"nixpass/builder/multipass"
	"nixpass/builder/multipass/multipasstest"
	"nixpass/builder/runner"
	"nixpass/builder/vmusers"
)

// TestMain lets the test binary be the session proxy of the ssh config
// (as `nixpass vm proxy` is): "proxy USERS HOST PORT".
func TestMain(m *testing.M) {
	if len(os.Args) == 5 && os.Args[1] == "proxy" {
		err := Proxy(context.Background(), &vmusers.Record{Dir: os.Args[2]}, net.JoinHostPort(os.Args[3], os.Args[4]), os.Stdin, os.Stdout)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestPrepareAndUse runs `vm builder`'s work against the Multipass fake,
// whose "VM" is this host: the key is authorized in a temporary HOME
// (never root's own ~/.ssh), served by CI's loopback sshd for the remote
// builder user (a separate store), and the line it prints is checked
// with nix store ping and then builds a derivation there. Every ssh
// connection goes through the session proxy: while one lasts, the VM
// users' record holds "the vm builder session" with the proxy's PID, and
// nothing once it has ended.
func TestPrepareAndUse(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run sshd (CI runs the tests as root)")
	}
	for _, tool := range []string{"nix-build", "/usr/sbin/sshd"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s missing: sudo .ci/setup", tool)
		}
	}
	if _, err := os.Stat("/etc/ssh/ssh_host_ed25519_key"); err != nil {
		t.Fatal("no ed25519 host key: apt-get install openssh-server")
	}
	home := t.TempDir()
	os.Chmod(filepath.Dir(home), 0o755)
	os.Chmod(home, 0o755)
	t.Setenv("HOME", home)
	// The fake's "VM user" is root; sshd reads the file as nixpass-rb.
	os.MkdirAll(filepath.Join(home, ".ssh"), 0o755)
	env, _, _ := multipasstest.NewWorld(t, multipasstest.FakeInstance{Name: "nixpass", State: "Running", CPUs: 3})
	multipasstest.Setenv(t, env)
	mp := &multipass.Client{Bin: multipasstest.Build(t)}

	port := startSSHD(t, filepath.Join(home, ".ssh", "authorized_keys"))
	spaced := Builder{VM: mp, Name: "nixpass", Dir: filepath.Join(t.TempDir(), "Application Support")}
	if _, err := spaced.Prepare(context.Background()); err == nil || !strings.Contains(err.Error(), "white space") {
		t.Errorf("Prepare in a folder with a space = %v, want a refusal", err)
	}
	dir := filepath.Join(t.TempDir(), "nixpass")
	users := &vmusers.Record{Dir: filepath.Join(t.TempDir(), "vm users%")}
	b := Builder{VM: mp, Name: "nixpass", Dir: dir, User: "nixpass-rb", HostName: "127.0.0.1", Port: port, Proxy: []string{os.Args[0], "proxy", users.Dir}}
	m, err := b.Prepare(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(m.Line)
	if len(f) != 8 || f[0] != "ssh-ng://nixpass-rb@nixpass-vm" || f[1] != "x86_64-linux" || f[2] != m.Key || f[3] != "3" {
		t.Errorf("line %q, want ssh-ng://nixpass-rb@nixpass-vm x86_64-linux KEY 3 …", m.Line)
	}
	if st, err := os.Stat(m.Key); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("key %s: %v %v, want 0600", m.Key, st.Mode().Perm(), err)
	}
	if m.Include != "Include "+m.SSHConfig {
		t.Errorf("include %q", m.Include)
	}
	// Twice: the key is authorized once and kept.
	if _, err := b.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	ak, _ := os.ReadFile(filepath.Join(home, ".ssh", "authorized_keys"))
	if n := strings.Count(string(ak), "nixpass-vm-builder"); n != 1 {
		t.Errorf("authorized_keys holds the key %d times:\n%s", n, ak)
	}
	os.Chmod(filepath.Join(home, ".ssh", "authorized_keys"), 0o644)
	if err := m.Check(context.Background(), runner.Exec{}, "nixpass-rb"); err != nil {
		t.Fatalf("check: %v", err)
	}

	// Plain Nix uses the line: the build runs on the builder.
	expr := fmt.Sprintf(`derivation { name = "vm-builder-%d"; system = "x86_64-linux"; builder = "${builtins.path { name = "bb"; path = dirOf /usr/bin/busybox; filter = p: _: baseNameOf p == "busybox"; }}/busybox"; args = [ "sh" "-c" "echo remote > $out" ]; }`, time.Now().UnixNano())
	cmd := exec.Command("nix-build", "--no-out-link", "-E", expr, "--max-jobs", "0", "--builders", m.Line)
	cmd.Env = append(os.Environ(), "NIX_SSHOPTS=-F "+m.SSHConfig)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "on 'ssh-ng://nixpass-rb@nixpass-vm'") {
		t.Errorf("nix-build --builders LINE: %v\n%s\nwant it built on the VM's line", err, out)
	}

	// A session on record for as long as it lasts.
	session := exec.Command("ssh", "-F", m.SSHConfig, "-o", "BatchMode=yes", "nixpass-rb@"+Alias, "sleep 2")
	if err := session.Start(); err != nil {
		t.Fatal(err)
	}
	var on []vmusers.User
	for range 100 {
		if on, _ = users.Users(); len(on) > 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(on) != 1 || on[0].What != vmusers.SessionWhat || on[0].PID == os.Getpid() || on[0].PID == 0 {
		t.Errorf("VM users during an ssh session: %+v, want the vm builder session of the proxy", on)
	}
	if err := session.Wait(); err != nil {
		t.Errorf("ssh session: %v", err)
	}
	// ssh ends its proxy as it exits: the lease goes with it.
	for range 250 {
		if on, _ = users.Users(); len(on) == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(on) != 0 {
		t.Errorf("VM users after the session: %+v, want none", on)
	}
}

// startSSHD runs sshd on loopback for nixpass-rb with the host's own
// host key (what the fake VM's /etc/ssh holds) and keys authorized in
// authorized (a temporary HOME's file).
func startSSHD(t *testing.T, authorized string) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir := t.TempDir()
	conf := filepath.Join(dir, "sshd_config")
	os.WriteFile(conf, fmt.Appendf(nil, "ListenAddress 127.0.0.1\nPort %d\nHostKey /etc/ssh/ssh_host_ed25519_key\nPidFile none\nUsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nAllowUsers nixpass-rb\nAuthorizedKeysFile %s\nStrictModes no\n",
		port, authorized), 0o600)
	os.MkdirAll("/run/sshd", 0o755)
	cmd := exec.Command("/usr/sbin/sshd", "-f", conf, "-D", "-e")
	log, _ := os.Create(filepath.Join(dir, "log"))
	cmd.Stderr = log
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
	t.Fatalf("sshd did not listen")
	return 0
}
