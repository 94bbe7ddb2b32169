package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"nixpass/builder"
	"nixpass/builder/cache"
	"nixpass/builder/multipass/multipasstest"
)

// vmCacheWorld is a world building in the fake multipass's "VM" (this
// host) with [cache] upload set to upload, signed by a fresh key.
type vmCacheWorld struct {
	*world
	guest   string // the guest script folder: its run folder holds the key
	calls   string // the fake's argv log
	key     cache.KeyPair
	secret  string // the secret key file
	cfgHead string
}

func newVMCacheWorld(t *testing.T, upload string) *vmCacheWorld {
	t.Helper()
	needNix(t)
	w := &vmCacheWorld{world: newWorld(t), guest: t.TempDir()}
	fake := multipasstest.Build(t)
	env, _, logPath := multipasstest.NewWorld(t, multipasstest.FakeInstance{Name: "nixpass", State: "Running", CPUs: 2, Memory: 4 << 30, Disk: 20 << 30})
	w.calls = logPath
	w.env = append(append(w.env, env...), "NIXPASS_GUEST_SCRIPT_DIR="+w.guest)
	k, err := cache.NewKeyPair("nixpass-vm-e2e-1")
	if err != nil {
		t.Fatal(err)
	}
	w.key = k
	if w.secret, err = cache.WriteKeyPair(filepath.Join(w.root, "keys"), k); err != nil {
		t.Fatal(err)
	}
	w.cfgHead = fmt.Sprintf("[builder]\nbackend = \"multipass\"\nmultipass = %q\n", fake)
	w.writeConfig(w.cfgHead + fmt.Sprintf("\n[cache]\nupload = %q\nsecret_key_file = %q\n", upload, w.secret))
	return w
}

// secretKey is the base64 part of the secret key: what must never show.
func (w *vmCacheWorld) secretKey() string {
	_, b64, _ := strings.Cut(w.key.Secret, ":")
	return b64
}

// keyFiles are the key files in the guest's run folder.
func (w *vmCacheWorld) keyFiles() []string {
	m, _ := filepath.Glob(filepath.Join(w.guest, "run", "*.key"))
	return m
}

// noSecret fails when the secret key is in any of texts.
func (w *vmCacheWorld) noSecret(t *testing.T, where string, text string) {
	t.Helper()
	if strings.Contains(text, w.secretKey()) {
		t.Errorf("the secret key is in %s", where)
	}
}

// TestVMCacheUpload builds in the VM (the fake multipass, whose exec runs
// here with the real Nix) with [cache] upload a file:// folder: nixpass
// mounts the folder, the build script signs and copies the closure in
// its own run, a second, empty store substitutes the image from the
// folder (--max-jobs 0), an up-to-date build uploads nothing and makes no
// Multipass call more than a warm build, and the secret key is in no
// argv the fake saw, no log, no history and no JSON, and in no file once
// the build is over; a build killed mid-upload leaves its key file, and
// the next build removes it.
func TestVMCacheUpload(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("the second, empty store (nix-build --store DIR) needs root: run the tests as root (CI does)")
	}
	cacheDir := t.TempDir()
	w := newVMCacheWorld(t, "file://"+cacheDir)
	tag := "vmcache-" + time.Now().Format("150405.000000000")
	dir := w.project("app", imageNix(tag, ""))
	if o := w.run("add", dir); o.code != 0 {
		t.Fatalf("add: %s", o)
	}

	o := w.run("build", dir, "--json")
	if o.code != 0 || o.res.Cache == nil || o.res.Cache.Error != "" || o.res.Cache.Paths < 1 || o.res.Cache.Bytes <= 0 {
		t.Fatalf("build: %s\nwant success with an upload of at least one path", o)
	}
	store := o.res.StorePath
	if o.res.Cache.URL != "file://"+cacheDir {
		t.Errorf("cache URL %q, want file://%s", o.res.Cache.URL, cacheDir)
	}
	ni, _ := os.ReadFile(filepath.Join(cacheDir, filepath.Base(store)[:32]+".narinfo"))
	if !strings.Contains(string(ni), "Sig: nixpass-vm-e2e-1:") || !strings.Contains(string(ni), "Compression: zstd") {
		t.Fatalf("the cache holds narinfo %q for %s, want it signed by nixpass-vm-e2e-1 and zstd", ni, store)
	}
	calls := multipasstest.Calls(t, w.calls)
	if want := []string{"mount", cacheDir, "nixpass:" + cacheDir}; !slices.ContainsFunc(calls, func(c []string) bool { return slices.Equal(c, want) }) {
		t.Errorf("the cache folder was not mounted: no %q in %q", want, calls)
	}
	if k := w.keyFiles(); len(k) != 0 {
		t.Errorf("key files outlived the build: %q", k)
	}
	w.noSecret(t, "the build's JSON", o.stdout+o.stderr)
	w.noSecret(t, "the build's log", string(readFile(t, o.res.Log)))

	t.Run("an empty store substitutes it", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "nix-build", "--no-out-link", filepath.Join(dir, "default.nix"), "--store", filepath.Join(w.root, "store2"),
			"--max-jobs", "0", "--option", "substituters", "file://"+cacheDir, "--option", "trusted-public-keys", w.key.Public)
		cmd.Env = append(os.Environ(), "NIX_CONFIG=")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "copying path '"+store+"' from 'file://"+cacheDir) || strings.Contains(string(out), "building '") {
			t.Fatalf("second store: %v\n%s\nwant %s copied from file://%s, nothing built", err, out, store, cacheDir)
		}
	})

	t.Run("up to date uploads nothing", func(t *testing.T) {
		before := len(multipasstest.Calls(t, w.calls))
		o := w.run("build", dir, "--json")
		if o.code != 0 || !o.res.UpToDate || o.res.Cache == nil || o.res.Cache.Paths != 0 || o.res.Cache.Error != "" {
			t.Fatalf("rebuild: %s\nwant up to date with an empty upload", o)
		}
		if log := string(readFile(t, o.res.Log)); strings.Contains(log, "upload-start") {
			t.Errorf("the up-to-date build uploaded:\n%s", log)
		}
		if n := len(multipasstest.Calls(t, w.calls)) - before; n != 2 {
			t.Errorf("the up-to-date build took %d multipass calls, want 2 (info, exec): %q", n, multipasstest.Calls(t, w.calls)[before:])
		}
	})

	t.Run("a killed upload's key goes with the next build", func(t *testing.T) {
		// A FIFO for the cache's nix-cache-info: nix copy blocks reading
		// it, mid-upload, with the key written.
		info := filepath.Join(cacheDir, "nix-cache-info")
		saved := readFile(t, info)
		os.Remove(info)
		if err := syscall.Mkfifo(info, 0o644); err != nil {
			t.Fatal(err)
		}
		w.setNix(dir, imageNix(tag+"-killed", ""))
		done := make(chan outcome, 1)
		go func() { done <- w.run("build", dir, "--json") }()
		var keyFile string
		for deadline := time.Now().Add(4 * time.Minute); keyFile == "" && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if k := w.keyFiles(); len(k) > 0 {
				keyFile = k[0]
			}
		}
		if keyFile == "" {
			t.Fatalf("no key file appeared in %s/run during the upload", w.guest)
		}
		if st, err := os.Stat(keyFile); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("key file %s: %v, mode %v, want 0600", keyFile, err, st.Mode())
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(readFile(t, strings.TrimSuffix(keyFile, ".key")))))
		if err != nil {
			t.Fatal(err)
		}
		// The script leads its process group: all of it dies at once, no
		// EXIT trap runs.
		if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		killed := <-done
		if killed.code == 0 {
			t.Fatalf("the killed build succeeded: %s", killed)
		}
		if _, err := os.Stat(keyFile); err != nil {
			t.Fatalf("the killed build's key file is gone already (%v): the test proves nothing", err)
		}
		os.Remove(info)
		if err := os.WriteFile(info, saved, 0o644); err != nil {
			t.Fatal(err)
		}
		o := w.run("build", dir, "--json")
		if o.code != 0 || o.res.Cache == nil || o.res.Cache.Paths < 1 {
			t.Fatalf("build after the kill: %s\nwant it built and uploaded", o)
		}
		if k := w.keyFiles(); len(k) != 0 {
			t.Errorf("key files after the next build: %q", k)
		}
	})

	t.Run("include_build_deps uploads the build-time closure", func(t *testing.T) {
		text := string(readFile(t, w.config))
		w.writeConfig(strings.Replace(text, "secret_key_file = ", "include_build_deps = true\nsecret_key_file = ", 1))
		defer w.writeConfig(text)
		w.setNix(dir, imageNix(tag+"-deps", ""))
		o := w.run("build", dir, "--json")
		if o.code != 0 || o.res.Cache == nil || o.res.Cache.Paths < 2 {
			t.Fatalf("build with include_build_deps: %s\nwant the image and its build inputs uploaded", o)
		}
		out, err := exec.Command("nix-store", "--query", "--references", "--", strings.TrimSpace(deriver(t, o.res.StorePath))).Output()
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range strings.Fields(string(out)) {
			if _, err := os.Stat(filepath.Join(cacheDir, filepath.Base(in)[:32]+".narinfo")); !strings.HasSuffix(in, ".drv") && err != nil {
				t.Errorf("the build input %s is not in the cache", in)
			}
		}
		if left, _ := filepath.Glob(filepath.Join(w.guest, "run", "*.deps*")); len(left) != 0 {
			t.Errorf("the build-time closure's roots outlived the upload: %q", left)
		}
		// Recorded with the mark: the same build again uploads nothing.
		if o := w.run("build", dir, "--json"); o.code != 0 || !o.res.UpToDate || o.res.Cache == nil || o.res.Cache.Paths != 0 {
			t.Errorf("rebuild with include_build_deps: %s\nwant up to date, nothing uploaded", o)
		}
	})

	t.Run("the key is in no argv, log, history or JSON", func(t *testing.T) {
		w.noSecret(t, "the fake multipass's argv log", string(readFile(t, w.calls)))
		h := w.run("history", dir, "--json")
		if h.code != 0 || !strings.Contains(h.stdout, "file://"+cacheDir) {
			t.Fatalf("history: %s\nwant the uploads in it", h)
		}
		w.noSecret(t, "history", h.stdout)
		// Every file nixpass keeps (state, logs, records) and the VM's
		// script folder, but the key pair itself.
		for _, root := range []string{w.root, w.guest} {
			_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
				if err == nil && d.Type().IsRegular() && !strings.HasPrefix(p, filepath.Join(w.root, "keys")+"/") {
					if b, err := os.ReadFile(p); err == nil && strings.Contains(string(b), w.secretKey()) {
						t.Errorf("the secret key is in %s", p)
					}
				}
				return nil
			})
		}
	})
}

// TestVMCacheUploadRefused: from the VM, a loopback upload host is
// refused when the config loads, with the address to use instead; a
// file:// folder that is not on this computer is refused before the
// build, naming the folder and the mount.
func TestVMCacheUploadRefused(t *testing.T) {
	t.Run("loopback", func(t *testing.T) {
		w := newVMCacheWorld(t, "http://127.0.0.1:8080/cache")
		dir := w.project("app", imageNix("vmcache-loop", ""))
		o := w.run("build", dir, "--json")
		if o.code == 0 || !strings.Contains(o.stdout+o.stderr, "is the VM itself, not this computer") || !strings.Contains(o.stdout+o.stderr, "192.168.64.1") {
			t.Fatalf("build with a loopback upload: %s\nwant a config error with the hint", o)
		}
		if n := len(multipasstest.Calls(t, w.calls)); n != 0 {
			t.Errorf("a refused config made %d multipass calls", n)
		}
	})
	t.Run("folder not on this computer", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "volume", "cache")
		w := newVMCacheWorld(t, "file://"+missing)
		dir := w.project("app", imageNix("vmcache-missing-"+time.Now().Format("150405.000000000"), ""))
		if o := w.run("add", dir); o.code != 0 {
			t.Fatalf("add: %s", o)
		}
		o := w.run("build", dir, "--json")
		if o.code == 0 || o.res.Kind != builder.KindConfig || !strings.Contains(o.res.Message, missing) || !strings.Contains(o.res.Hint, "multipass mount "+missing+" nixpass:"+missing) {
			t.Fatalf("build with a missing cache folder: %s\nwant kind config naming %s and the mount", o, missing)
		}
		for _, c := range multipasstest.Calls(t, w.calls) {
			if c[0] == "exec" {
				t.Errorf("the refused build ran %q", c)
			}
		}
	})
}
