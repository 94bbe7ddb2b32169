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

// An ssh:// or ssh-ng:// upload runs `nix copy` as the VM's default user,
// whose ssh knows nothing of this computer's. At setup (vm create, vm
// setup) nixpass copies what that user's ssh needs into a private folder
// beside the build script: the Host blocks of ~/.ssh/config the upload
// names (HostName, User, Port, IdentityFile, ProxyJump; sshconf), the
// keys they use (or ssh's default ones), 0600, and the host's known_hosts
// lines; the build script points Nix's ssh at that config (NIX_SSHOPTS=-F)
// for the upload.

// guestUploadSSHDir is that folder in the VM ("ssh" beside the script,
// where nixpass-build.sh looks for "ssh/config").
func (v *Machine) guestUploadSSHDir() string { return path.Join(path.Dir(v.scriptPath()), "ssh") }

// sshUpload reports whether [cache] upload is an ssh store.
func (u Upload) sshUpload() bool {
	return strings.HasPrefix(u.URL, "ssh://") || strings.HasPrefix(u.URL, "ssh-ng://")
}

// uploadSSH is what the VM's ssh gets for an ssh upload: the config, the
// keys and the known_hosts text; nil when the upload is not over ssh.
type uploadSSH struct {
	bundle     *sshconf.Bundle
	knownHosts string
}

// defaultIdentities are the keys ssh tries when a host names none.
var defaultIdentities = []string{"id_ed25519", "id_ecdsa", "id_rsa"}

// uploadSSHSettings resolves the upload's host through the user's ssh
// config and known_hosts. An unknown host key or an encrypted key is a
// config error that says what to do.
func (v *Machine) uploadSSHSettings(ctx context.Context) (*uploadSSH, error) {
	if !v.Upload.sshUpload() {
		return nil, nil
	}
	cfg := v.sshConfig()
	if cfg == nil {
		cfg, _ = sshconf.Parse(strings.NewReader(""), "")
	}
	home, _ := os.UserHomeDir()
	for _, f := range defaultIdentities {
		if p := filepath.Join(home, ".ssh", f); fileExists(p) {
			cfg.DefaultIdentities = append(cfg.DefaultIdentities, p)
		}
	}
	dir := v.guestUploadSSHDir()
	b, err := cfg.Copy(sshconf.Aliases([]string{v.Upload.URL}), home, dir)
	if err != nil {
		return nil, &builder.Error{Kind: builder.KindConfig, Err: err, Message: "[cache] upload: " + err.Error(),
			Hint: "the VM's ssh cannot ask for a passphrase or use this computer's agent: give the cache host a key without one in ~/.ssh/config (IdentityFile), then run: nixpass vm setup"}
	}
	name, connect := knownHostsName(v.Upload.URL, cfg)
	kh := v.KnownHosts
	if kh == "" {
		kh = filepath.Join(home, ".ssh", "known_hosts")
	}
	var out bytes.Buffer
	_, kerr := v.runner().Run(ctx, runner.Cmd{Name: "ssh-keygen", Args: []string{"-F", name, "-f", kh}, Stdout: &out})
	var lines []string
	for _, l := range strings.Split(out.String(), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		why := ""
		if kerr != nil && !errors.As(kerr, new(*runner.ExitError)) {
			why = " (" + kerr.Error() + ")"
		}
		return nil, &builder.Error{Kind: builder.KindConfig, Err: kerr,
			Message: fmt.Sprintf("[cache] upload: the host key of %s is not in %s%s: the VM would have to trust whatever answers", name, kh, why),
			Hint:    "connect to it once from here (" + shq.Join(connect...) + "), then run: nixpass vm setup"}
	}
	b.Config += fmt.Sprintf("\nHost *\n  UserKnownHostsFile %s\n  StrictHostKeyChecking yes\n  BatchMode yes\n", path.Join(dir, "known_hosts"))
	return &uploadSSH{bundle: b, knownHosts: strings.Join(lines, "\n") + "\n"}, nil
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// installUploadSSH puts s into the VM as the default user's, 0600 in a
// 0700 folder: through the staging folder (0700), never a command line.
// The folder is replaced whole, so a key no longer named goes.
func (v *Machine) installUploadSSH(ctx context.Context, s *uploadSSH, exec func(stdin []byte, args ...string) error, staging string, progress func(string)) error {
	dir := v.guestUploadSSHDir()
	fail := func(what string, err error) error {
		return v.unavailable("copy the ssh settings of [cache] upload into the VM: "+what, err)
	}
	progress(fmt.Sprintf("copying the ssh settings of [cache] upload into the VM (%d key(s), the default user's, 0600)", len(s.bundle.Keys)))
	for _, w := range s.bundle.Warnings {
		progress("warning: " + w)
	}
	if err := exec(nil, "rm", "-rf", "--", dir); err != nil {
		return fail("clear "+dir, err)
	}
	if err := exec(nil, "install", "-d", "-m", "0700", dir); err != nil {
		return fail("make "+dir, err)
	}
	put := func(host, guest string) error {
		staged := path.Join(staging, path.Base(guest))
		defer func() { _ = exec(nil, "rm", "-f", staged) }()
		if err := v.Client.Transfer(ctx, host, v.Name+":"+staged); err != nil {
			return fail("copy "+path.Base(guest), err)
		}
		if err := exec(nil, "install", "-m", "0600", staged, guest); err != nil {
			return fail("install "+guest, err)
		}
		return nil
	}
	for _, k := range s.bundle.Keys {
		if err := put(k.Source, k.Guest); err != nil {
			return err
		}
	}
	for name, text := range map[string]string{"config": s.bundle.Config, "known_hosts": s.knownHosts} {
		tmp, err := hostTempFile("nixpass-ssh-*", []byte(text))
		if err != nil {
			return fmt.Errorf("copy the ssh settings of [cache] upload: %w", err)
		}
		err = put(tmp, path.Join(dir, name))
		os.Remove(tmp)
		if err != nil {
			return err
		}
	}
	return nil
}
