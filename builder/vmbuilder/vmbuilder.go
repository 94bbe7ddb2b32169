// Package vmbuilder makes nixpass's Multipass VM usable as a remote
// builder for plain Nix on the Mac: `nixpass vm builder` prints a Nix
// machines line for it. It keeps a dedicated ed25519 key (made here when
// none exists) installed in the VM user's authorized_keys, and an ssh
// config file naming the VM by a stable alias, rewritten with the VM's
// current address and host key each time, so the line survives restarts
// once the user's ~/.ssh/config includes that file.
//
// It imports runner, multipass, shq and vmusers only.
package vmbuilder

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/google/renameio/v2"
	"golang.org/x/crypto/ssh"

	"nixpass/builder/multipass"
	"nixpass/builder/runner"
)

// VM is what the builder line needs of Multipass.
type VM interface {
	// Info returns the instance's state, CPUs and addresses.
	Info(ctx context.Context, name string) (*multipass.Instance, error)
	// Exec runs a command in the instance.
	Exec(ctx context.Context, name string, o multipass.ExecOptions) (*runner.Result, error)
}

// Builder describes the VM as a remote builder.
type Builder struct {
	VM   VM
	Name string // the Multipass instance
	// Dir is nixpass's folder for the key, ssh config and known_hosts,
	// such as ~/.ssh/nixpass. Its path may not hold white space: a Nix
	// machines line and NIX_SSHOPTS split on it (so not
	// ~/Library/Application Support).
	Dir string
	// User is the VM user builds log in as (default "ubuntu"), one of the
	// VM's Nix trusted-users.
	User string
	// HostName and Port override the VM's first IPv4 address and 22
	// (a port forward, say).
	HostName string
	Port     int
	// Proxy, when set, is the program and arguments of the session proxy
	// (`nixpass vm proxy --users DIR`, proxy.go) the ssh config runs as
	// ProxyCommand with the host and port, so a session is on the VM
	// users' record while it lasts.
	Proxy []string
}

// Alias is the ssh host name the machines line uses.
const Alias = "nixpass-vm"

// Machine is the result of Prepare.
type Machine struct {
	// Line is the Nix machines line.
	Line string
	// Include is the line the user adds to ~/.ssh/config (at its top).
	Include string
	// SSHConfig is nixpass's ssh config file for the alias.
	SSHConfig string
	// Key is the private key file.
	Key string
}

// Prepare makes sure the key exists and is authorized in the VM, writes
// the ssh config and known_hosts for the VM's current address, and
// returns the machines line.
func (b Builder) Prepare(ctx context.Context) (*Machine, error) {
	user := b.User
	if user == "" {
		user = "ubuntu"
	}
	if strings.ContainsAny(b.Dir, " \t\n") {
		return nil, fmt.Errorf("vm builder: the folder %q holds white space, which a Nix machines line cannot: use one without, such as ~/.ssh/nixpass", b.Dir)
	}
	in, err := b.VM.Info(ctx, b.Name)
	if err != nil {
		return nil, fmt.Errorf("vm builder: %w", err)
	}
	host := b.HostName
	if host == "" {
		if len(in.IPv4) == 0 {
			return nil, fmt.Errorf("vm builder: the VM %s has no address (state %s): start it with nixpass vm start", b.Name, in.State)
		}
		host = in.IPv4[0]
	}
	key := filepath.Join(b.Dir, "vm-builder_ed25519")
	pub, err := ensureKey(key)
	if err != nil {
		return nil, err
	}
	// Idempotent: the key is appended once, the rest of the file kept.
	const authorize = `umask 077; mkdir -p "$HOME/.ssh"; f="$HOME/.ssh/authorized_keys"; touch "$f"; grep -qxF "$1" "$f" || printf '%s\n' "$1" >>"$f"`
	if _, err := b.VM.Exec(ctx, b.Name, multipass.ExecOptions{Args: []string{"sh", "-c", authorize, "sh", pub}}); err != nil {
		return nil, fmt.Errorf("vm builder: authorize the key in the VM: %w", err)
	}
	res, err := b.VM.Exec(ctx, b.Name, multipass.ExecOptions{Args: []string{"sh", "-c", `cat /etc/ssh/ssh_host_ed25519_key.pub && uname -m`}})
	if err != nil {
		return nil, fmt.Errorf("vm builder: read the VM's host key: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(res.Stdout)), "\n")
	hk := strings.Fields(lines[0])
	if len(lines) < 2 || len(hk) < 2 {
		return nil, fmt.Errorf("vm builder: the VM's host key and machine are %q: want the ed25519 host key and uname -m", res.Stdout)
	}
	system := map[string]string{"x86_64": "x86_64-linux", "aarch64": "aarch64-linux", "arm64": "aarch64-linux"}[strings.TrimSpace(lines[1])]
	if system == "" {
		return nil, fmt.Errorf("vm builder: unknown machine %q", lines[1])
	}
	known := filepath.Join(b.Dir, "vm-builder_known_hosts")
	if err := renameio.WriteFile(known, []byte(Alias+" "+hk[0]+" "+hk[1]+"\n"), 0o644); err != nil {
		return nil, fmt.Errorf("vm builder: %w", err)
	}
	opts := ""
	if b.Port != 0 {
		opts = "  Port " + strconv.Itoa(b.Port) + "\n"
	}
	if len(b.Proxy) > 0 {
		// The session's lease (proxy.go), as long as the connection lasts.
		opts += "  ProxyCommand " + proxyCommand(b.Proxy) + "\n"
	}
	conf := fmt.Sprintf("# Written by nixpass vm builder: the VM %s as a Nix remote builder. Rewritten with its address each time.\nHost %s\n  HostName %s\n%s  User %s\n  IdentityFile %s\n  IdentitiesOnly yes\n  HostKeyAlias %s\n  UserKnownHostsFile %s\n  StrictHostKeyChecking yes\n",
		b.Name, Alias, host, opts, user, key, Alias, known)
	cfg := filepath.Join(b.Dir, "vm-builder_ssh_config")
	if err := renameio.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		return nil, fmt.Errorf("vm builder: %w", err)
	}
	jobs := max(in.CPUs, 1)
	hostKey := base64.StdEncoding.EncodeToString([]byte(hk[0] + " " + hk[1]))
	return &Machine{
		Line:      fmt.Sprintf("ssh-ng://%s@%s %s %s %d 1 big-parallel - %s", user, Alias, system, key, jobs, hostKey),
		Include:   "Include " + cfg,
		SSHConfig: cfg,
		Key:       key,
	}, nil
}

// ensureKey returns the authorized_keys line of the key at path, making
// the key (0600) when there is none.
func ensureKey(path string) (string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		_, priv, gerr := ed25519.GenerateKey(rand.Reader)
		if gerr != nil {
			return "", fmt.Errorf("vm builder key: %w", gerr)
		}
		block, merr := ssh.MarshalPrivateKey(priv, "nixpass vm builder")
		if merr != nil {
			return "", fmt.Errorf("vm builder key: %w", merr)
		}
		b = pem.EncodeToMemory(block)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return "", fmt.Errorf("vm builder key: %w", err)
		}
		if err := renameio.WriteFile(path, b, 0o600); err != nil {
			return "", fmt.Errorf("vm builder key: %w", err)
		}
	} else if err != nil {
		return "", fmt.Errorf("vm builder key: %w", err)
	}
	signer, err := ssh.ParsePrivateKey(b)
	if err != nil {
		return "", fmt.Errorf("vm builder key %s: %w; remove it and run nixpass vm builder again", path, err)
	}
	pub := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey()))) + " nixpass-vm-builder"
	if err := renameio.WriteFile(path+".pub", []byte(pub+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("vm builder key: %w", err)
	}
	return pub, nil
}
