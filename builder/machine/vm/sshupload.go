package vm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"nixpass/builder"
	"nixpass/builder/runner"
	"nixpass/builder/shq"
	"nixpass/builder/sshconf"
)

// The VM's ssh knows nothing of this computer's, yet two things in it
// reach hosts that ~/.ssh/config names (issue 24, item 6): the VM's
// nix-daemon (root) reaches remote builders whose machine lines name a
// Host alias, and the build script's `nix copy` (the default user)
// reaches an ssh:// or ssh-ng:// cache. At setup (vm create, vm setup)
// nixpass copies, for each, the Host blocks those hosts use (HostName,
// User, Port, IdentityFile, ProxyJump; sshconf) with HostKeyAlias set to
// the alias, the keys they use (0600), and each host's known_hosts lines
// under its alias, into a private folder: the daemon's in the Nix folder
// (root's), found through NIX_SSHOPTS=-F in a drop-in of its systemd
// unit; the upload's beside the build script, used by the script the
// same way.

// vmSSH is one such copy: the config, its keys and the known_hosts text,
// and the folder they go to in the VM.
type vmSSH struct {
	bundle     *sshconf.Bundle
	knownHosts string
	dir        string
}

// guestUploadSSHDir is the upload's folder in the VM ("ssh" beside the
// script, where nixpass-build.sh looks for "ssh/config").
func (v *Machine) guestUploadSSHDir() string { return path.Join(path.Dir(v.scriptPath()), "ssh") }

// guestDaemonSSHDir is the nix-daemon's folder in the VM (root's).
func (v *Machine) guestDaemonSSHDir() string { return path.Join(v.guestNixDir(), "nixpass-ssh") }

// guestSystemdDir is the drop-in folder of the VM's nix-daemon unit. A
// test that points the Nix folder at a host folder gets one beside it:
// never this host's own /etc/systemd.
func (v *Machine) guestSystemdDir() string {
	switch {
	case v.GuestSystemdDir != "":
		return v.GuestSystemdDir
	case v.GuestNixDir != "":
		return path.Join(v.GuestNixDir, "nix-daemon.service.d")
	}
	return "/etc/systemd/system/nix-daemon.service.d"
}

// sshUpload reports whether [cache] upload is an ssh store.
func (u Upload) sshUpload() bool {
	return strings.HasPrefix(u.URL, "ssh://") || strings.HasPrefix(u.URL, "ssh-ng://")
}

// defaultIdentities are the keys ssh tries when a host names none.
var defaultIdentities = []string{"id_ed25519", "id_ecdsa", "id_rsa"}

// sshSettings copies what the hosts of uris (store or machine-line URIs)
// need for an ssh whose files live in dir in the VM. With defaults, a
// host that names no key gets ssh's default ones. A host of uris whose
// key is not in known_hosts is an error when need is set (the upload);
// otherwise (builders, pinned in their machine lines already; jump
// hosts) it is left out with a warning. what names the setting in
// messages.
func (v *Machine) sshSettings(ctx context.Context, what string, uris []string, dir string, defaults, need bool) (*vmSSH, error) {
	cfg := v.sshConfig()
	if cfg == nil {
		cfg, _ = sshconf.Parse(strings.NewReader(""), "")
	}
	cfg.HostKeyAlias = true
	home, _ := os.UserHomeDir()
	if defaults {
		for _, f := range defaultIdentities {
			if p := filepath.Join(home, ".ssh", f); fileExists(p) {
				cfg.DefaultIdentities = append(cfg.DefaultIdentities, p)
			}
		}
	}
	asked := sshconf.Aliases(uris)
	b, err := cfg.Copy(asked, home, dir)
	if err != nil {
		return nil, &builder.Error{Kind: builder.KindConfig, Err: err, Message: what + ": " + err.Error(),
			Hint: "the VM's ssh cannot ask for a passphrase or use this computer's agent: give the host a key without one in ~/.ssh/config (IdentityFile), then run: nixpass vm setup"}
	}
	kh := v.KnownHosts
	if kh == "" {
		kh = filepath.Join(home, ".ssh", "known_hosts")
	}
	var known strings.Builder
	for i, h := range b.Hosts {
		name, connect := knownHostsName("ssh://"+h, cfg)
		var out bytes.Buffer
		_, kerr := v.runner().Run(ctx, runner.Cmd{Name: "ssh-keygen", Args: []string{"-F", name, "-f", kh}, Stdout: &out})
		n := 0
		for _, l := range strings.Split(out.String(), "\n") {
			f := strings.Fields(l)
			if len(f) < 3 || strings.HasPrefix(f[0], "#") || strings.HasPrefix(f[0], "@") {
				continue
			}
			// Under the alias: the config sets HostKeyAlias.
			fmt.Fprintf(&known, "%s %s %s\n", h, f[1], f[2])
			n++
		}
		if n > 0 {
			continue
		}
		if need && i < len(asked) {
			why := ""
			if kerr != nil && !errors.As(kerr, new(*runner.ExitError)) {
				why = " (" + kerr.Error() + ")"
			}
			return nil, &builder.Error{Kind: builder.KindConfig, Err: kerr,
				Message: fmt.Sprintf("%s: the host key of %s is not in %s%s: the VM would have to trust whatever answers", what, name, kh, why),
				Hint:    "connect to it once from here (" + shq.Join(connect...) + "), then run: nixpass vm setup"}
		}
		if i >= len(asked) {
			b.Warnings = append(b.Warnings, fmt.Sprintf("the host key of the jump host %s is not in %s, so the VM cannot go through it: connect once from here (%s)", name, kh, shq.Join(connect...)))
		}
	}
	b.Config += fmt.Sprintf("\nHost *\n  GlobalKnownHostsFile %s\n  StrictHostKeyChecking yes\n  BatchMode yes\n", path.Join(dir, "known_hosts"))
	return &vmSSH{bundle: b, knownHosts: known.String(), dir: dir}, nil
}

// uploadSSHSettings is what an ssh upload needs in the VM, or nil.
func (v *Machine) uploadSSHSettings(ctx context.Context) (*vmSSH, error) {
	if !v.Upload.sshUpload() {
		return nil, nil
	}
	return v.sshSettings(ctx, "[cache] upload", []string{v.Upload.URL}, v.guestUploadSSHDir(), true, true)
}

// daemonSSHSettings is what the builders' ssh aliases need in the VM:
// nil when no builder is reached over ssh or the user has no ssh config
// (the names then mean in the VM what they mean here).
func (v *Machine) daemonSSHSettings(ctx context.Context) (*vmSSH, error) {
	if len(sshconf.Aliases(v.Remote.Builders)) == 0 || v.sshConfig() == nil {
		return nil, nil
	}
	return v.sshSettings(ctx, "[builder] builders", v.Remote.Builders, v.guestDaemonSSHDir(), false, false)
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// installSSH puts s into the VM, 0600 files in a 0700 folder replaced
// whole (a key no longer named goes), root's or the default user's:
// through the staging folder (0700), never a command line.
func (v *Machine) installSSH(ctx context.Context, s *vmSSH, root bool, exec func(stdin []byte, args ...string) error, staging string, progress func(string)) error {
	sudo := func(args ...string) []string {
		if root {
			return append([]string{"sudo"}, args...)
		}
		return args
	}
	owner := func(args ...string) []string {
		if root {
			return append(args, "-o", "root", "-g", "root")
		}
		return args
	}
	fail := func(what string, err error) error {
		return v.unavailable("copy ssh settings into the VM: "+what, err)
	}
	for _, w := range s.bundle.Warnings {
		progress("warning: " + w)
	}
	if err := exec(nil, sudo("rm", "-rf", "--", s.dir)...); err != nil {
		return fail("clear "+s.dir, err)
	}
	if err := exec(nil, sudo(append(owner("install", "-d", "-m", "0700"), s.dir)...)...); err != nil {
		return fail("make "+s.dir, err)
	}
	put := func(host, guest string) error {
		staged := path.Join(staging, path.Base(guest))
		defer func() { _ = exec(nil, "rm", "-f", staged) }()
		if err := v.Client.Transfer(ctx, host, v.Name+":"+staged); err != nil {
			return fail("copy "+path.Base(guest), err)
		}
		if err := exec(nil, sudo(append(owner("install", "-m", "0600"), staged, guest)...)...); err != nil {
			return fail("install "+guest, err)
		}
		return nil
	}
	for _, k := range s.bundle.Keys {
		if err := put(k.Source, k.Guest); err != nil {
			return err
		}
	}
	for _, f := range []struct{ name, text string }{{"config", s.bundle.Config}, {"known_hosts", s.knownHosts}} {
		tmp, err := hostTempFile("nixpass-ssh-*", []byte(f.text))
		if err != nil {
			return fmt.Errorf("copy ssh settings into the VM: %w", err)
		}
		err = put(tmp, path.Join(s.dir, f.name))
		os.Remove(tmp)
		if err != nil {
			return err
		}
	}
	return nil
}
