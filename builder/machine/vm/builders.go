package vm

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path"
	"path/filepath"
	"strings"

	"nixpass/builder"
	"nixpass/builder/multipass"
	"nixpass/builder/runner"
	"nixpass/builder/shq"
	"nixpass/builder/sshconf"
)

// In the VM, remote builders and caches are the daemon's settings: the
// build runs as the default user through nix-daemon, which is the process
// that talks to the builders. nixpass owns one file, included from the
// daemon's nix.conf, and the builders' SSH keys, readable by root only.
const (
	// DefaultGuestNixDir is the VM's Nix configuration folder.
	DefaultGuestNixDir = "/etc/nix"
	// managedConf is nixpass's file in it; nix.conf ends with
	// "!include nixpass.conf" ("!": a missing file is no error).
	managedConf = "nixpass.conf"
	// includeLine is the line nix.conf needs.
	includeLine = "!include " + managedConf
	// guestKeyDir holds the builders' keys, mode 0700, in the nix folder.
	guestKeyDir = "nixpass-keys"
	// guestNetrc is [builder] netrc_file's copy in the nix folder, root's
	// and 0600: the daemon's netrc-file.
	guestNetrc = "netrc"
)

func (v *Machine) guestNixDir() string {
	if v.GuestNixDir != "" {
		return v.GuestNixDir
	}
	return DefaultGuestNixDir
}

// guestKey is a builder's SSH key on the host and where it goes in the VM.
type guestKey struct{ host, guest string }

// remoteConf renders the VM's managed nix.conf: the machine lines with
// each SSH key replaced by its copy in the VM and the builder's host key
// pinned (the line's own field, else the host's known_hosts entry), and
// the keys to copy.
func (v *Machine) remoteConf(ctx context.Context) (string, []guestKey, error) {
	r := v.Remote
	var keys []guestKey
	seen := map[string]string{}
	var lines []string
	for _, line := range r.Builders {
		f := strings.Fields(line)
		for len(f) < 8 {
			f = append(f, "-")
		}
		if k := f[2]; k != "-" {
			g, ok := seen[k]
			if !ok {
				sum := sha256.Sum256([]byte(k))
				g = path.Join(v.guestNixDir(), guestKeyDir, "builder-"+hex.EncodeToString(sum[:6]))
				seen[k] = g
				keys = append(keys, guestKey{host: k, guest: g})
			}
			f[2] = g
		}
		if f[7] == "-" {
			hk, err := v.pinnedHostKey(ctx, f[0])
			if err != nil {
				return "", nil, err
			}
			f[7] = hk
		}
		lines = append(lines, strings.Join(f, " "))
	}
	r.Builders = lines
	if len(lines) == 0 {
		r.Builders = nil
	}
	conf := "# Written by nixpass (nixpass vm setup) from [builder], [vm] and [cache] in its config: edit that, not this file.\n" + r.NixConf() + v.freeSpaceConf()
	for _, s := range v.Cache {
		conf += s.Name + " = " + s.Value + "\n"
	}
	return conf, keys, nil
}

// pinnedHostKey finds uri's host in the host's known_hosts and returns
// its key as a machine line's host-key field (base64 of "TYPE KEY"). The
// host is looked up as ssh writes it there: an alias of ~/.ssh/config
// resolved to its HostName and Port, and "[HOST]:PORT" for a port other
// than 22.
func (v *Machine) pinnedHostKey(ctx context.Context, uri string) (string, error) {
	host, connect := knownHostsName(uri, v.sshConfig())
	kh := v.KnownHosts
	if kh == "" {
		home, _ := os.UserHomeDir()
		kh = filepath.Join(home, ".ssh", "known_hosts")
	}
	var out bytes.Buffer
	_, err := v.runner().Run(ctx, runner.Cmd{Name: "ssh-keygen", Args: []string{"-F", host, "-f", kh}, Stdout: &out})
	best := ""
	for _, l := range strings.Split(out.String(), "\n") {
		f := strings.Fields(l)
		if len(f) < 3 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if best == "" || f[1] == "ssh-ed25519" {
			best = f[1] + " " + f[2]
		}
	}
	if best == "" {
		why := ""
		if err != nil && !errors.As(err, new(*runner.ExitError)) {
			why = " (" + err.Error() + ")"
		}
		return "", &builder.Error{Kind: builder.KindConfig, Err: err,
			Message: fmt.Sprintf("the host key of the remote builder %s is not known%s: the VM would have to trust whatever answers", uri, why),
			Hint: "connect to it once from here (" + shq.Join(connect...) + ") so it is in " + kh + ", or put it in the machine line's last field: " +
				"base64 -w0 /etc/ssh/ssh_host_ed25519_key.pub (run on the builder)"}
	}
	return base64.StdEncoding.EncodeToString([]byte(best)), nil
}

// knownHostsName is the name known_hosts holds uri's host under: the
// URI's host (without user; a port in it wins over the config's),
// resolved through the user's ssh config when it names it; and the ssh
// command that connects to it once, which puts it there.
func knownHostsName(uri string, cfg *sshconf.Config) (name string, connect []string) {
	host := builder.BuilderHost(uri)
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		host = host[i+1:]
	}
	host, _, _ = strings.Cut(host, "/")
	name, port := host, ""
	if h, p, err := net.SplitHostPort(host); err == nil {
		name, port = h, p
	}
	connect = []string{"ssh", name}
	if port != "" {
		connect = []string{"ssh", "-p", port, name}
	}
	h := sshconf.Host{Alias: name}
	if cfg != nil {
		home, _ := os.UserHomeDir()
		h, _ = cfg.Lookup(name, home)
	}
	if port != "" {
		h.Port = port
	}
	return h.KnownHostsName(), connect
}

// sshConfig is the user's ssh config (SSHConfig, else ~/.ssh/config),
// or nil when there is none.
func (v *Machine) sshConfig() *sshconf.Config {
	file := v.SSHConfig
	if file == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil
		}
		file = filepath.Join(home, ".ssh", "config")
	}
	f, err := os.Open(file)
	if err != nil {
		return nil
	}
	defer f.Close()
	c, err := sshconf.Parse(f, file)
	if err != nil {
		return nil
	}
	return c
}

func (v *Machine) runner() runner.Runner {
	if v.Runner == nil {
		return runner.Exec{}
	}
	return v.Runner
}

// setupRemoteBuilders writes [builder]'s remote builders and caches into
// the VM's nix-daemon configuration and restarts the daemon. The SSH keys
// go in with `multipass transfer` into a folder only the default user can
// read, then `sudo install -m 0600` (root's, mode 0600) and the staged
// copy is removed; no key and no secret is ever on a command line. The
// netrc file ([builder] netrc_file) goes in the same way, as the nix
// folder's netrc. The managed nix.conf is root's and 0600 too: it may
// name caches with credentials, and the daemon, which reads it, is root;
// Nix run by the default user skips an include it cannot read (2.8 to
// 2.34). The VM must be running.
func (v *Machine) setupRemoteBuilders(ctx context.Context, progress func(string)) error {
	if progress == nil {
		progress = func(string) {}
	}
	conf, keys, err := v.remoteConf(ctx)
	if err != nil {
		return err
	}
	upSSH, err := v.uploadSSHSettings(ctx)
	if err != nil {
		return err
	}
	daemonSSH, err := v.daemonSSHSettings(ctx)
	if err != nil {
		return err
	}
	if v.NetrcFile != "" {
		if st, err := os.Stat(v.NetrcFile); err != nil || !st.Mode().IsRegular() {
			return &builder.Error{Kind: builder.KindConfig, Err: err,
				Message: fmt.Sprintf("[builder] netrc_file %s is missing or not a file", v.NetrcFile),
				Hint:    "fix the path in [builder] netrc_file, or write the file: one \"machine HOST login USER password TOKEN\" line per cache"}
		}
		conf += "netrc-file = " + path.Join(v.guestNixDir(), guestNetrc) + "\n"
	}
	for _, k := range keys {
		if st, err := os.Stat(k.host); err != nil || !st.Mode().IsRegular() {
			return &builder.Error{Kind: builder.KindConfig, Err: err,
				Message: fmt.Sprintf("the SSH key %s of a remote builder in [builder] builders is missing or not a file", k.host),
				Hint:    "fix the key path in the machine line (its third field), or make the key: " + shq.Join("ssh-keygen", "-t", "ed25519", "-f", k.host)}
		}
	}
	fail := func(what string, err error) error {
		return v.unavailable("set up remote builders in the VM: "+what, err)
	}
	exec := func(stdin []byte, args ...string) error {
		o := multipass.ExecOptions{Args: args}
		if stdin != nil {
			o.Stdin = bytes.NewReader(stdin)
		}
		_, err := v.Client.Exec(ctx, v.Name, o)
		return err
	}
	nixDir := v.guestNixDir()
	staging := path.Join(path.Dir(v.scriptPath()), "staging")
	if err := exec(nil, "install", "-d", "-m", "0700", staging); err != nil {
		return fail("make "+staging, err)
	}
	// install copies, so a staged file is removed whatever happens.
	put := func(host, guest, mode string) error {
		staged := path.Join(staging, path.Base(guest))
		defer func() { _ = exec(nil, "rm", "-f", staged) }()
		if err := v.Client.Transfer(ctx, host, v.Name+":"+staged); err != nil {
			return fail("copy "+path.Base(guest), err)
		}
		if err := exec(nil, "sudo", "install", "-m", mode, "-o", "root", "-g", "root", staged, guest); err != nil {
			return fail("install "+guest, err)
		}
		return nil
	}
	if len(keys) > 0 {
		progress(fmt.Sprintf("copying %d builder SSH key(s) into the VM (root only)", len(keys)))
		if err := exec(nil, "sudo", "install", "-d", "-m", "0700", "-o", "root", "-g", "root", path.Join(nixDir, guestKeyDir)); err != nil {
			return fail("make the key folder", err)
		}
		for _, k := range keys {
			if err := put(k.host, k.guest, "0600"); err != nil {
				return err
			}
		}
	}
	if err := v.installDaemonSSH(ctx, daemonSSH, exec, staging, put, progress); err != nil {
		return err
	}
	if upSSH != nil {
		progress(fmt.Sprintf("copying the ssh settings of [cache] upload into the VM (%d key(s), the default user's, 0600)", len(upSSH.bundle.Keys)))
		if err := v.installSSH(ctx, upSSH, false, exec, staging, progress); err != nil {
			return err
		}
	}
	if v.NetrcFile != "" {
		progress("copying the netrc file into the VM (root only)")
		if err := put(v.NetrcFile, path.Join(nixDir, guestNetrc), "0600"); err != nil {
			return err
		}
	}
	tmp, err := hostTempFile("nixpass-nix-*.conf", []byte(conf))
	if err != nil {
		return fmt.Errorf("set up remote builders: %w", err)
	}
	defer os.Remove(tmp)
	progress("writing " + path.Join(nixDir, managedConf) + " in the VM")
	if err := put(tmp, path.Join(nixDir, managedConf), "0600"); err != nil {
		return err
	}
	main := path.Join(nixDir, "nix.conf")
	err = exec(nil, "sudo", "grep", "-qxF", includeLine, main)
	var xe *runner.ExitError
	if errors.As(err, &xe) {
		// Not there yet (a VM made before nixpass managed this file).
		if err := exec([]byte("\n"+includeLine+"\n"), "sudo", "tee", "-a", main); err != nil {
			return fail("include "+managedConf+" from "+main, err)
		}
	} else if err != nil {
		return fail("read "+main, err)
	}
	progress("restarting nix-daemon in the VM")
	if err := exec(nil, "sudo", "systemctl", "daemon-reload"); err != nil {
		return fail("reload systemd", err)
	}
	if err := exec(nil, "sudo", "systemctl", "restart", "nix-daemon"); err != nil {
		return fail("restart nix-daemon", err)
	}
	return nil
}

// dropIn is nixpass's drop-in of the VM's nix-daemon unit: the daemon's
// ssh (remote builders) reads the copied ssh config.
const dropIn = "nixpass-ssh.conf"

// installDaemonSSH copies the builders' ssh aliases into the VM for its
// nix-daemon (root's, 0600) and points the daemon's ssh at them with a
// drop-in; with none (s nil) it removes an earlier drop-in.
func (v *Machine) installDaemonSSH(ctx context.Context, s *vmSSH, exec func(stdin []byte, args ...string) error, staging string,
	put func(host, guest, mode string) error, progress func(string)) error {
	unit := path.Join(v.guestSystemdDir(), dropIn)
	if s == nil {
		if err := exec(nil, "sudo", "rm", "-f", "--", unit); err != nil {
			return v.unavailable("set up remote builders in the VM: remove "+unit, err)
		}
		return nil
	}
	progress(fmt.Sprintf("copying the ssh settings of the builders' hosts into the VM (%d key(s), root only)", len(s.bundle.Keys)))
	if err := v.installSSH(ctx, s, true, exec, staging, progress); err != nil {
		return err
	}
	// NIX_SSHOPTS splits on spaces: the folder has none (the Nix folder).
	text := "# Written by nixpass: the nix-daemon's ssh (remote builders) reads the ssh settings nixpass copied.\n[Service]\nEnvironment=\"NIX_SSHOPTS=-F " + path.Join(s.dir, "config") + "\"\n"
	tmp, err := hostTempFile("nixpass-dropin-*.conf", []byte(text))
	if err != nil {
		return fmt.Errorf("set up remote builders: %w", err)
	}
	defer os.Remove(tmp)
	if err := exec(nil, "sudo", "install", "-d", "-m", "0755", v.guestSystemdDir()); err != nil {
		return v.unavailable("set up remote builders in the VM: make "+v.guestSystemdDir(), err)
	}
	return put(tmp, unit, "0644")
}
