package main

import (
	"fmt"
	"math/rand/v2"
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
)

// ciUser is the non-root user .ci/setup makes, in nix-users: its builds
// go through nix-daemon.
const ciUser = "nixpass-ci"

// privateDaemon is a nix-daemon of this test's own on the host's store,
// with its own nix.conf (NIX_CONF_DIR) and socket (NIX_DAEMON_SOCKET_PATH,
// honoured by Nix 2.8's daemon and clients): the shared daemon and the
// host's /etc/nix are never touched.
type privateDaemon struct {
	confDir, socket string
}

func startPrivateDaemon(t *testing.T, base, nixConf string, env ...string) *privateDaemon {
	t.Helper()
	d := &privateDaemon{confDir: filepath.Join(base, "nix-conf"), socket: filepath.Join(base, "daemon", "socket")}
	if err := os.MkdirAll(d.confDir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(d.confDir, "nix.conf"), nixConf)
	cmd := exec.Command("nix-daemon")
	cmd.Env = append(os.Environ(), append(env, "NIX_CONF_DIR="+d.confDir, "NIX_DAEMON_SOCKET_PATH="+d.socket)...)
	logf, err := os.Create(filepath.Join(base, "nix-daemon.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start nix-daemon: %v", err)
	}
	t.Cleanup(func() {
		// The daemon forks a process per client: stop its whole group.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		_ = cmd.Wait()
	})
	for range 100 {
		if _, err := os.Stat(d.socket); err == nil {
			return d
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("private nix-daemon did not listen: %s", readFile(t, filepath.Join(base, "nix-daemon.log")))
	return nil
}

// userWorld is a nixpass world run as ciUser, in a folder it owns,
// through the private daemon d.
func userWorld(t *testing.T, base string, d *privateDaemon) (*world, *syscall.Credential) {
	t.Helper()
	u, err := user.Lookup(ciUser)
	if err != nil {
		t.Fatalf("user %s is missing: sudo .ci/setup", ciUser)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	var groups []uint32
	if ids, err := u.GroupIds(); err == nil {
		for _, g := range ids {
			n, _ := strconv.Atoi(g)
			groups = append(groups, uint32(n))
		}
	}
	root := filepath.Join(base, "world")
	w := &world{t: t, root: root, config: filepath.Join(root, "config", "config.toml"), state: filepath.Join(root, "state")}
	w.env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + u.HomeDir, "USER=" + ciUser,
		"NIXPASS_CONFIG=" + w.config, "NIXPASS_STATE_DIR=" + w.state,
		"NIX_REMOTE=daemon", "NIX_CONF_DIR=" + d.confDir, "NIX_DAEMON_SOCKET_PATH=" + d.socket}
	return w, &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: groups}
}

// asUser runs the nixpass binary (copied where the user can run it) as
// cred.
func asUser(w *world, cred *syscall.Credential, bin string, args ...string) outcome {
	w.t.Helper()
	if err := exec.Command("chown", "-R", fmt.Sprintf("%d:%d", cred.Uid, cred.Gid), w.root).Run(); err != nil {
		w.t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	return w.runCmd(cmd)
}

func TestRemoteBuilderThroughDaemonAsUser(t *testing.T) {
	r := needRemoteBuilder(t)
	// A folder every user can enter (t.TempDir is root's alone).
	base, err := os.MkdirTemp("", "nixpass-remote-daemon-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := copyNixpass(t, base)
	// The daemon does the remote building, so the builders, and ssh's
	// options, are its own; it trusts only root.
	d := startPrivateDaemon(t, base, fmt.Sprintf("build-users-group = nixbld\ntrusted-users = root\nbuilders = %s\nmax-jobs = 0\nsubstituters =\n", r.line("client_key")),
		"NIX_SSHOPTS=-F "+r.sshConfig)
	tag := fmt.Sprintf("daemon-%d", rand.Int64())

	t.Run("builders in the daemon's config", func(t *testing.T) {
		w, cred := userWorld(t, base, d)
		w.writeConfig(fmt.Sprintf("[builder]\nbackend = \"local\"\nbuilders = [%q]\nmax_jobs = 0\n", r.line("client_key")))
		dir := w.project("app", imageNix(tag, ""))
		o := asUser(w, cred, bin, "build", dir, "--json")
		if o.code != 0 || o.res.BuiltOn != "ssh-ng://nixpass-builder" {
			t.Fatalf("build as %s through nix-daemon: built_on %q\n%v", ciUser, o.res.BuiltOn, o)
		}
		if _, err := os.Stat(filepath.Join(r.store, o.res.StorePath)); err != nil {
			t.Errorf("the image is not in the builder's store: %v", err)
		}
		os.RemoveAll(w.root)
	})

	t.Run("trusted user, builders from nixpass", func(t *testing.T) {
		// A daemon without builders that trusts the user: nixpass's
		// builders reach it in NIX_CONFIG and it honours them.
		sub := filepath.Join(base, "trusted")
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		td := startPrivateDaemon(t, sub, "build-users-group = nixbld\ntrusted-users = root "+ciUser+"\nsubstituters =\n", "NIX_SSHOPTS=-F "+r.sshConfig)
		w, cred := userWorld(t, base, td)
		w.writeConfig(fmt.Sprintf("[builder]\nbackend = \"local\"\nbuilders = [%q]\nmax_jobs = 0\n", r.line("client_key")))
		dir := w.project("app", imageNix(tag+"-trusted", ""))
		o := asUser(w, cred, bin, "build", dir, "--json")
		if o.code != 0 || o.res.BuiltOn != "ssh-ng://nixpass-builder" {
			t.Fatalf("trusted user: built_on %q\n%v", o.res.BuiltOn, o)
		}
		os.RemoveAll(w.root)
	})

	t.Run("builders the daemon does not have, untrusted user", func(t *testing.T) {
		w, cred := userWorld(t, base, d)
		// A cache with a planted token: the error lists every
		// substituter, with the token masked.
		const token = "TOKEN-untrusted-planted-58"
		w.writeConfig(fmt.Sprintf("[builder]\nbackend = \"local\"\nbuilders = [%q]\nmax_jobs = 0\nsubstituters = [\"https://u:%s@cache.example.org\"]\n", r.line("wrong_key"), token))
		dir := w.project("app", imageNix(tag+"-untrusted", ""))
		o := asUser(w, cred, bin, "build", dir, "--json")
		if o.code != 1 || o.res.Kind != builder.KindConfig ||
			!strings.Contains(o.res.Message, "nix-daemon ignores [builder] builders, max_jobs and substituters for "+ciUser+", who is not one of its trusted-users (root)") ||
			!strings.Contains(o.res.Hint, "builders = "+r.line("wrong_key")) || !strings.Contains(o.res.Hint, "trusted-users = root "+ciUser) ||
			!strings.Contains(o.res.Hint, "substituters = https://***@cache.example.org") {
			t.Errorf("untrusted user: %v\nmessage: %s\nhint: %s", o, o.res.Message, o.res.Hint)
		}
		if strings.Contains(o.stdout+o.stderr, token) {
			t.Errorf("the untrusted-user error shows the token:\n%v", o)
		}
		os.RemoveAll(w.root)
	})
}
