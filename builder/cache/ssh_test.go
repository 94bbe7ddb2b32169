package cache

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"nixpass/builder"
	"nixpass/builder/runner"
)

// TestUploadSSHNG uploads to CI's loopback remote builder over ssh-ng://
// (.ci/remote-builder.sh: user nixpass-rb with a store of its own): the
// paths are signed here by key file first. A builder that does not trust
// the key refuses them (the not-signed rule, from the real store); one
// that does (its sshd sets NIX_CONFIG) holds them with the signature.
func TestUploadSSHNG(t *testing.T) {
	nixes(t)
	keys := "/var/lib/nixpass-ci/remote-builder"
	if _, err := os.Stat(filepath.Join(keys, "client_key")); err != nil {
		t.Fatal("no loopback remote builder: sudo .ci/remote-builder.sh")
	}
	home, err := exec.Command("sh", "-c", `getent passwd nixpass-rb | cut -d: -f6`).Output()
	if err != nil || len(home) == 0 {
		t.Fatal("no user nixpass-rb: sudo .ci/remote-builder.sh")
	}
	remoteStore := filepath.Join(strings.TrimSpace(string(home)), "remote-store")
	dir := t.TempDir()
	k, _ := NewKeyPair("nixpass-ssh-1")
	secret, err := WriteKeyPair(filepath.Join(dir, "keys"), k)
	if err != nil {
		t.Fatal(err)
	}
	out, err := nixAt{}.run(t, nil, "nix-build", "--no-out-link", writePayload(t, dir), "--argstr", "salt", salt(t))
	if err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	path := lastLine(out)

	up := sshStore(t, dir, keys, secret, "")
	_, err = up.Run(context.Background(), []string{path}, &Record{})
	var be *builder.Error
	if !errors.As(err, &be) || be.Kind != builder.KindCache || !strings.Contains(be.Hint, "trusted-public-keys") {
		t.Fatalf("upload to a builder that does not trust the key = %v, want kind cache with the not-signed hint", err)
	}
	if sigs, _ := exec.Command("nix", "--extra-experimental-features", "nix-command", "path-info", "--sigs", path).CombinedOutput(); !strings.Contains(string(sigs), "nixpass-ssh-1:") {
		t.Errorf("the local path is not signed by nixpass-ssh-1: %s", sigs)
	}

	up = sshStore(t, filepath.Join(dir, "trusting"), keys, secret, "SetEnv NIX_CONFIG=\"extra-trusted-public-keys = "+k.Public+"\"")
	rep, err := up.Run(context.Background(), []string{path}, &Record{})
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	if rep.Paths != 1 || rep.URL != "ssh-ng://team-box" {
		t.Errorf("report %+v, want 1 path", rep)
	}
	// As the builder's user: Nix run as root would take the store over
	// (chown root:nixbld), breaking it for the builder's own daemon.
	rb, err := user.Lookup("nixpass-rb")
	if err != nil {
		t.Fatal(err)
	}
	sigs, err := asUser(t, rb, "nix", "--extra-experimental-features", "nix-command", "path-info", "--sigs",
		"--store", "local?root="+remoteStore, path)
	if err != nil || !strings.Contains(string(sigs), "nixpass-ssh-1:") {
		t.Errorf("the builder's store shows %q (%v), want the path signed by nixpass-ssh-1", sigs, err)
	}
}

// sshStore starts an sshd for the builder (extra: a line for its
// sshd_config) and returns an upload to it as ssh-ng://team-box.
func sshStore(t *testing.T, dir, keys, secret, extra string) Upload {
	t.Helper()
	os.MkdirAll(dir, 0o700)
	port := startSSHD(t, dir, keys, extra)
	hostKey := strings.Fields(readText(t, filepath.Join(keys, "host_key.pub")))
	os.WriteFile(filepath.Join(dir, "known_hosts"), fmt.Appendf(nil, "[127.0.0.1]:%d %s %s\n", port, hostKey[0], hostKey[1]), 0o600)
	cfg := filepath.Join(dir, "ssh_config")
	os.WriteFile(cfg, fmt.Appendf(nil, "Host team-box\n  HostName 127.0.0.1\n  Port %d\n  User nixpass-rb\n  IdentityFile %s\n  UserKnownHostsFile %s\n  StrictHostKeyChecking yes\n  BatchMode yes\n",
		port, filepath.Join(keys, "client_key"), filepath.Join(dir, "known_hosts")), 0o600)
	return Upload{URL: "ssh-ng://team-box", SecretKeyFile: secret, Runner: runner.Exec{}, Env: []string{"NIX_SSHOPTS=-F " + cfg}}
}

func readText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// startSSHD runs sshd on a free loopback port for nixpass-rb, until the
// test ends.
func startSSHD(t *testing.T, dir, keys, extra string) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	conf := filepath.Join(dir, "sshd_config")
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
