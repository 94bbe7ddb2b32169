package main

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"nixpass/internal/citest"
)

// nixEnv is a machine set-up the end-to-end tests run the real nixpass
// in: this host as root with a local store, this host as a normal user
// whose builds go through the shared nix-daemon (a Multipass VM's
// situation: the builder is forked by the daemon, dmesg is restricted), and
// Debian roots with newer Nix entered with .ci/in-root (made by .ci/setup).
type nixEnv struct {
	name string
	// user is the non-root user nixpass runs as, through nix-daemon.
	user string
	// root is a Debian root with its own Nix and store.
	root string
}

var (
	hostEnv    = &nixEnv{name: "host-root"}
	userEnv    = &nixEnv{name: "host-user", user: "nixpass-ci"}
	trixieEnv  = &nixEnv{name: "trixie-nix-2.26", root: "/var/lib/nixpass-ci/roots/trixie"}
	sidEnv     = &nixEnv{name: "sid-nix-2.34", root: "/var/lib/nixpass-ci/roots/sid"}
	everyNixes = []*nixEnv{hostEnv, userEnv, trixieEnv, sidEnv}
)

// ciMissing fails (or, with NIXPASS_ALLOW_SKIP=1, skips) because what
// .ci/setup makes is not there.
func ciMissing(t *testing.T, what string) { t.Helper(); citest.Missing(t, what) }

// need checks that the environment exists on this machine.
func (e *nixEnv) need(t *testing.T) {
	t.Helper()
	if e != hostEnv {
		needNix(t)
	}
	switch {
	case e.user != "":
		if _, err := user.Lookup(e.user); err != nil {
			ciMissing(t, "no test user "+e.user)
		}
		if st, err := os.Stat("/nix/var/nix/daemon-socket/socket"); err != nil || st.Mode()&os.ModeSocket == 0 {
			ciMissing(t, "no nix-daemon socket at /nix/var/nix/daemon-socket/socket")
		}
		if os.Geteuid() != 0 {
			ciMissing(t, "running tests as "+e.user+" needs root")
		}
	case e.root != "":
		if _, err := os.Stat(filepath.Join(e.root, "usr/bin/nix-build")); err != nil {
			ciMissing(t, "no Nix root at "+e.root)
		}
	}
}

// credential is the test user's uid, gid and groups.
func (e *nixEnv) credential(t *testing.T) *syscall.Credential {
	t.Helper()
	u, err := user.Lookup(e.user)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	c := &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	gids, _ := u.GroupIds()
	for _, g := range gids {
		n, _ := strconv.Atoi(g)
		c.Groups = append(c.Groups, uint32(n))
	}
	return c
}

// newWorldIn is an isolated nixpass setup in environment e.
func newWorldIn(t *testing.T, e *nixEnv) *world {
	t.Helper()
	e.need(t)
	root := t.TempDir()
	if e.user != "" {
		// t.TempDir's parent is private to root: the user needs a path.
		var err error
		if root, err = os.MkdirTemp("", "nixpass-e2e-"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.RemoveAll(root) })
		_ = os.Chmod(root, 0o755)
	}
	w := &world{t: t, in: e, root: root, config: filepath.Join(root, "config", "config.toml"), state: filepath.Join(root, "state")}
	w.env = append(environ(e.user != ""),
		"NIXPASS_CONFIG="+w.config,
		"NIXPASS_STATE_DIR="+w.state,
		// Offline: no binary cache, whatever the machine's nix.conf says.
		"NIX_CONFIG=substituters =\n",
	)
	if e.user != "" {
		u, _ := user.Lookup(e.user)
		w.env = append(w.env, "HOME="+u.HomeDir, "USER="+e.user, "LOGNAME="+e.user, "NIX_REMOTE=daemon")
	}
	for _, d := range []string{filepath.Dir(w.config), w.state} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	w.own(root)
	return w
}

// environ is this process's environment without what names root's
// session (for the non-root user) or a folder a root does not have.
func environ(asUser bool) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "XDG_"), k == "NIX_REMOTE", k == "NIX_DAEMON_SOCKET_PATH":
			continue
		case asUser && (k == "HOME" || k == "USER" || k == "LOGNAME"):
			continue
		}
		env = append(env, kv)
	}
	return env
}

// own gives path (recursively) to the environment's user, so the non-root
// nixpass can write its config, state and images.
func (w *world) own(path string) {
	w.t.Helper()
	if w.in == nil || w.in.user == "" {
		return
	}
	c := w.in.credential(w.t)
	err := filepath.Walk(path, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, int(c.Uid), int(c.Gid))
	})
	if err != nil {
		w.t.Fatalf("chown %s to %s: %v", path, w.in.user, err)
	}
}

// command is nixpass args in the world's environment (not yet started).
func (w *world) command(args ...string) *exec.Cmd {
	w.t.Helper()
	var cmd *exec.Cmd
	switch e := w.in; {
	case e.root != "":
		bin := staticNixpass(w.t)
		inRoot, err := filepath.Abs(filepath.Join("..", ".ci", "in-root"))
		if err != nil {
			w.t.Fatal(err)
		}
		passwd, group := w.buildUsers()
		// Inside: a private mount namespace as root, so the build users'
		// files can be swapped for this run's.
		argv := append([]string{"--bind", filepath.Dir(bin), "--bind", w.root, e.root,
			"sh", "-c", `mount --bind "$1" /etc/passwd && mount --bind "$2" /etc/group && shift 2 && exec "$@"`,
			"sh", passwd, group, bin}, args...)
		cmd = exec.Command(inRoot, argv...)
	default:
		cmd = exec.Command(nixpassBin, args...)
	}
	if w.procs != "" {
		// The shell puts itself in the cgroup, then becomes the command:
		// every process of the build is limited.
		cmd = exec.Command("sh", append([]string{"-c", `echo $$ > "$1" && shift && exec "$@"`, "sh", w.procs, cmd.Path}, cmd.Args[1:]...)...)
	}
	// Its own process group, so a test can signal it as a terminal would.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if w.in.user != "" {
		cmd.SysProcAttr.Credential = w.in.credential(w.t)
	}
	cmd.Env = w.env
	return cmd
}

var static struct {
	once sync.Once
	path string
	err  error
}

// staticNixpass is nixpass built without cgo, to run inside the roots
// (their libc is not this host's); built once per test binary.
func staticNixpass(t *testing.T) string {
	t.Helper()
	static.once.Do(func() {
		dir, err := os.MkdirTemp("", "nixpass-static-")
		if err != nil {
			static.err = err
			return
		}
		_ = os.Chmod(dir, 0o755)
		static.path = filepath.Join(dir, "nixpass")
		cmd := exec.Command("go", "build", "-o", static.path, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			static.err = fmt.Errorf("build static nixpass: %v\n%s", err, out)
		}
	})
	if static.err != nil {
		t.Fatal(static.err)
	}
	return static.path
}

// limitMemory makes every later build of w run under a memory cgroup of
// limit bytes. For the non-root user the builder is forked by nix-daemon,
// not by nixpass, so the test starts a private nix-daemon inside the
// cgroup and points the user's Nix at its socket.
func (w *world) limitMemory(limit int64) {
	w.t.Helper()
	procs := memoryCgroup(w.t, limit)
	if w.in.user == "" {
		w.procs = procs
		return
	}
	sock := filepath.Join(w.root, "daemon", "socket")
	if err := os.MkdirAll(filepath.Dir(sock), 0o755); err != nil {
		w.t.Fatal(err)
	}
	d := exec.Command("sh", "-c", `echo $$ > "$1" && exec nix-daemon --daemon`, "sh", procs)
	d.Env = append(environ(false), "NIX_DAEMON_SOCKET_PATH="+sock, "NIX_CONFIG=substituters =\n")
	d.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	log, err := os.Create(filepath.Join(w.root, "daemon", "log"))
	if err != nil {
		w.t.Fatal(err)
	}
	d.Stdout, d.Stderr = log, log
	if err := d.Start(); err != nil {
		w.t.Fatalf("start a private nix-daemon: %v", err)
	}
	w.t.Cleanup(func() {
		// The daemon and its workers, so that the cgroup can go.
		_ = syscall.Kill(-d.Process.Pid, syscall.SIGTERM)
		_ = d.Wait()
		log.Close()
		waitFor(w.t, 10*time.Second, "the private nix-daemon to stop", func() bool {
			b, _ := os.ReadFile(procs)
			return strings.TrimSpace(string(b)) == ""
		})
	})
	waitFor(w.t, 10*time.Second, "the private nix-daemon's socket", func() bool {
		st, err := os.Stat(sock)
		return err == nil && st.Mode()&os.ModeSocket != 0
	})
	w.env = append(w.env, "NIX_DAEMON_SOCKET_PATH="+sock)
}

// buildUsers writes the root's /etc/passwd and /etc/group with its Nix
// build users (nixbld*) moved to uids of this test process's own. Each
// root has its own Nix store and so its own pool of build users, and Nix
// kills every process of a build user's uid before and after using it:
// with the uids .ci/setup gives them (999, 998, …, the same as the
// host's), a build in one root kills builds running at the same time in
// another root or on the host.
func (w *world) buildUsers() (passwd, group string) {
	w.t.Helper()
	dir := filepath.Join(w.root, ".ids")
	passwd, group = filepath.Join(dir, "passwd"), filepath.Join(dir, "group")
	if _, err := os.Stat(passwd); err == nil {
		return passwd, group
	}
	base := 2_000_000 + (os.Getpid()%50_000)*32
	if err := os.MkdirAll(dir, 0o755); err != nil {
		w.t.Fatal(err)
	}
	// rewrite sets the id (field 2) of the named entries; in passwd also
	// the primary group (field 3).
	rewrite := func(src, dst string, id func(name string) (int, bool), isPasswd bool) {
		lines := strings.Split(string(readFile(w.t, filepath.Join(w.in.root, src))), "\n")
		for i, l := range lines {
			f := strings.Split(l, ":")
			if len(f) < 4 {
				continue
			}
			if n, ok := id(f[0]); ok {
				f[2] = strconv.Itoa(n)
				if isPasswd {
					f[3] = strconv.Itoa(base)
				}
				lines[i] = strings.Join(f, ":")
			}
		}
		if err := os.WriteFile(dst, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
			w.t.Fatal(err)
		}
	}
	rewrite("etc/passwd", passwd, func(name string) (int, bool) {
		n, err := strconv.Atoi(strings.TrimPrefix(name, "nixbld"))
		return base + n, strings.HasPrefix(name, "nixbld") && err == nil
	}, true)
	rewrite("etc/group", group, func(name string) (int, bool) { return base, name == "nixbld" }, false)
	return passwd, group
}
