package main

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"nixpass/builder"
)

// The remote builder tests use a real sshd on 127.0.0.1 and a key-only
// user with its own Nix store, prepared by .ci/remote-builder.sh.

// remoteBuilderDir holds the keys .ci/remote-builder.sh makes.
func remoteBuilderDir() string {
	if d := os.Getenv("NIXPASS_REMOTE_BUILDER_DIR"); d != "" {
		return d
	}
	return "/var/lib/nixpass-ci/remote-builder"
}

const remoteUser = "nixpass-rb"

// rb is a running remote builder: sshd on a free port with its own host
// key, reached through an ssh config alias.
type rb struct {
	t         *testing.T
	dir       string // the test's folder: configs, known_hosts
	keys      string
	alias     string
	port      int
	sshConfig string
	cmd       *exec.Cmd
	store     string // the builder user's store root
}

func needRemoteBuilder(t *testing.T) *rb { return newRemoteBuilder(t, "nixpass-builder") }

// newRemoteBuilder starts a builder reached as alias; extra lines go into
// its sshd_config.
func newRemoteBuilder(t *testing.T, alias string, extra ...string) *rb {
	t.Helper()
	needNix(t)
	keys := remoteBuilderDir()
	_, kerr := os.Stat(filepath.Join(keys, "client_key"))
	_, uerr := exec.Command("id", remoteUser).Output()
	if kerr != nil || uerr != nil || os.Geteuid() != 0 {
		msg := "the remote builder tests need root and the builder user and keys: sudo .ci/remote-builder.sh (openssh-server installed)"
		if os.Getenv("NIXPASS_ALLOW_SKIP") == "1" {
			t.Skip(msg)
		}
		t.Fatal(msg)
	}
	home, err := exec.Command("sh", "-c", `getent passwd "$1" | cut -d: -f6`, "sh", remoteUser).Output()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	r := &rb{t: t, dir: dir, keys: keys, alias: alias, port: freePort(t), store: filepath.Join(strings.TrimSpace(string(home)), "remote-store")}
	hostKey := strings.Fields(string(readFile(t, filepath.Join(keys, "host_key.pub"))))
	known := fmt.Sprintf("[127.0.0.1]:%d %s %s\n", r.port, hostKey[0], hostKey[1])
	writeFile(t, filepath.Join(dir, "known_hosts"), known)
	r.sshConfig = filepath.Join(dir, "ssh_config")
	writeFile(t, r.sshConfig, fmt.Sprintf("Host %s\n  HostName 127.0.0.1\n  Port %d\n  User %s\n  UserKnownHostsFile %s\n  StrictHostKeyChecking yes\n  BatchMode yes\n",
		alias, r.port, remoteUser, filepath.Join(dir, "known_hosts")))
	writeFile(t, filepath.Join(dir, "sshd_config"), fmt.Sprintf("ListenAddress 127.0.0.1\nPort %d\nHostKey %s\nPidFile none\nUsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nAllowUsers %s\n%s",
		r.port, filepath.Join(keys, "host_key"), remoteUser, strings.Join(append(extra, ""), "\n")))
	_ = os.MkdirAll("/run/sshd", 0o755)
	r.start()
	t.Cleanup(r.stop)
	return r
}

func (r *rb) start() {
	r.t.Helper()
	r.cmd = exec.Command("/usr/sbin/sshd", "-f", filepath.Join(r.dir, "sshd_config"), "-D", "-e")
	log, err := os.Create(filepath.Join(r.dir, "sshd.log"))
	if err != nil {
		r.t.Fatal(err)
	}
	r.cmd.Stderr = log
	if err := r.cmd.Start(); err != nil {
		r.t.Fatalf("start sshd: %v", err)
	}
	for range 100 {
		if c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(r.port)); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.t.Fatalf("sshd did not listen on %d: %s", r.port, readFile(r.t, filepath.Join(r.dir, "sshd.log")))
}

func (r *rb) stop() {
	if r.cmd != nil && r.cmd.Process != nil {
		_ = r.cmd.Process.Kill()
		_ = r.cmd.Wait()
		r.cmd = nil
	}
}

// line is the machine line for the builder with the named key.
func (r *rb) line(key string) string {
	return "ssh-ng://" + r.alias + " x86_64-linux " + filepath.Join(r.keys, key) + " 1 1 - - -"
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// remoteWorld is a nixpass world whose builds go to r, as root (so
// through a local store: nix-build itself runs the build hook).
func remoteWorld(t *testing.T, r *rb, key, maxJobs string) *world {
	w := newWorld(t)
	w.env = append(w.env, "NIX_SSHOPTS=-F "+r.sshConfig)
	w.writeConfig(fmt.Sprintf("[builder]\nbackend = \"local\"\nbuilders = [%q]\nmax_jobs = %s\n", r.line(key), maxJobs))
	return w
}

func TestRemoteBuilderBuildsAndFailures(t *testing.T) {
	r := needRemoteBuilder(t)
	tag := fmt.Sprintf("remote-%d", rand.Int64())

	w := remoteWorld(t, r, "client_key", "0")
	dir := w.project("app", imageNix(tag, ""))
	o := w.run("build", dir, "--json")
	if o.code != 0 || o.res.BuiltOn != "ssh-ng://nixpass-builder" {
		t.Fatalf("remote build: built_on %q, want ssh-ng://nixpass-builder\n%v", o.res.BuiltOn, o)
	}
	if _, err := os.Stat(filepath.Join(r.store, o.res.StorePath)); err != nil {
		t.Errorf("the image is not in the builder's store: %v", err)
	}
	if o.res.Image != "offline:"+tag || o.res.Warning != "" {
		t.Errorf("result = %+v", o.res)
	}
	// The plain CLI says where, too.
	w.setNix(dir, imageNix(tag+"-text", ""))
	if o := w.run("build", dir); o.code != 0 || !strings.Contains(o.stdout, "built on ssh-ng://nixpass-builder") {
		t.Errorf("text output does not name the builder: %v", o)
	}

	t.Run("wrong key", func(t *testing.T) {
		w := remoteWorld(t, r, "wrong_key", "0")
		dir := w.project("app", imageNix(tag+"-wk", ""))
		o := w.run("build", dir, "--json")
		if o.code != 6 || o.res.Kind != builder.KindUnavailable ||
			!strings.Contains(o.res.Message, "ssh-ng://nixpass-builder rejected the SSH key") ||
			!strings.Contains(o.res.Message, "Permission denied (publickey)") ||
			strings.Contains(o.res.Message, "system features") {
			t.Errorf("wrong key: %v\nmessage: %s", o, o.res.Message)
		}
	})

	t.Run("no Nix on the builder's PATH", func(t *testing.T) {
		// SetEnv applies after sshd's default PATH.
		nonix := newRemoteBuilder(t, "nixpass-nonix", "SetEnv PATH=/nonexistent")
		w := remoteWorld(t, nonix, "client_key", "0")
		dir := w.project("app", imageNix(tag+"-nonix", ""))
		o := w.run("build", dir, "--json")
		if o.code != 6 || !strings.Contains(o.res.Message, "ssh-ng://nixpass-nonix has no Nix on its PATH") ||
			!strings.Contains(o.res.Message, "nix-daemon: not found") || !strings.Contains(o.res.Hint, "remote-program=") {
			t.Errorf("no nix: %v\nmessage: %s\nhint: %s", o, o.res.Message, o.res.Hint)
		}
	})
	t.Run("name does not resolve", func(t *testing.T) {
		w := remoteWorld(t, r, "client_key", "0")
		w.writeConfig(fmt.Sprintf("[builder]\nbackend = \"local\"\nbuilders = [%q]\nmax_jobs = 0\n", "ssh-ng://nixpass-nowhere.invalid x86_64-linux "+filepath.Join(r.keys, "client_key")))
		dir := w.project("app", imageNix(tag+"-dns", ""))
		o := w.run("build", dir, "--json")
		if o.code != 6 || !strings.Contains(o.res.Message, "ssh-ng://nixpass-nowhere.invalid cannot be reached") ||
			!strings.Contains(o.res.Message, "Could not resolve hostname nixpass-nowhere.invalid") {
			t.Errorf("dns: %v\nmessage: %s", o, o.res.Message)
		}
	})

	r.stop()
	t.Run("builder down", func(t *testing.T) {
		w := remoteWorld(t, r, "client_key", "0")
		dir := w.project("app", imageNix(tag+"-down", ""))
		o := w.run("build", dir, "--json")
		if o.code != 6 || !strings.Contains(o.res.Message, "ssh-ng://nixpass-builder cannot be reached") ||
			!strings.Contains(o.res.Message, "Connection refused") || !strings.Contains(o.res.Hint, "store ping --store ssh-ng://nixpass-builder") {
			t.Errorf("builder down: %v\nmessage: %s\nhint: %s", o, o.res.Message, o.res.Hint)
		}
	})
	t.Run("builder down, local fallback", func(t *testing.T) {
		w := remoteWorld(t, r, "client_key", "1")
		dir := w.project("app", imageNix(tag+"-fallback", ""))
		o := w.run("build", dir, "--json")
		if o.code != 0 || o.res.BuiltOn != builder.BuiltLocal ||
			!strings.Contains(o.res.Warning, "ssh-ng://nixpass-builder cannot be reached") ||
			!strings.Contains(o.res.Warning, "built on this machine instead") {
			t.Errorf("fallback: %v\nwarning: %s", o, o.res.Warning)
		}
	})
}

// TestNixOptionsReachNixIntact passes a substituter whose URL holds shell
// syntax: Nix must get it byte for byte (it creates the cache folder with
// that very name) and no shell may run it.
func TestNixOptionsReachNixIntact(t *testing.T) {
	needNix(t)
	if os.Geteuid() != 0 {
		t.Fatal("this test builds with a local store, as root (CI does)")
	}
	w := newWorld(t)
	// Nix itself refuses '`', '{' and whitespace in a store URL (the
	// config rejects whitespace); quotes and $( ) it takes.
	cache := filepath.Join(w.root, `cache'"$(id)"`)
	w.writeConfig(fmt.Sprintf("[builder]\nbackend = \"local\"\nsubstituters = [%q]\nmax_jobs = 1\n", "file://"+cache))
	dir := w.project("app", imageNix(fmt.Sprintf("opts-%d", rand.Int64()), ""))
	o := w.run("build", dir, "--json")
	if o.code != 0 || o.res.BuiltOn != builder.BuiltLocal {
		t.Fatalf("build: %v", o)
	}
	if ents, _ := filepath.Glob(filepath.Join(w.root, "cache*uid=*")); len(ents) > 0 {
		t.Errorf("a shell ran the substituter URL: %v", ents)
	}
	if st, err := os.Stat(cache); err != nil || !st.IsDir() {
		t.Errorf("Nix did not get the substituter URL intact (no cache folder %q): %v", cache, err)
	}
}
