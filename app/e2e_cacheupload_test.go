package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"nixpass/builder"
	"nixpass/builder/cache"
)

// httpCache is a binary cache on loopback: GET and HEAD serve its folder,
// PUT writes into it (Nix's http:// uploads) unless it is read-only, and
// it counts the PUTs it took.
type httpCache struct {
	dir      string
	puts     atomic.Int64
	readOnly atomic.Bool
	mu       sync.Mutex
	*httptest.Server
}

func newHTTPCache(t *testing.T) *httpCache {
	t.Helper()
	c := &httpCache{dir: t.TempDir()}
	// A cache that exists but is empty: the probe before a build finds it.
	if err := os.WriteFile(filepath.Join(c.dir, "nix-cache-info"), []byte("StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 30\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	files := http.FileServer(http.Dir(c.dir))
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut {
			files.ServeHTTP(w, r)
			return
		}
		if c.readOnly.Load() {
			http.Error(w, "read-only cache", http.StatusForbidden)
			return
		}
		c.puts.Add(1)
		c.mu.Lock()
		defer c.mu.Unlock()
		p := filepath.Join(c.dir, filepath.FromSlash(filepath.Clean("/"+r.URL.Path)))
		b, _ := io.ReadAll(r.Body)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(c.Close)
	return c
}

// narinfo is what the cache holds for storePath, or "".
func (c *httpCache) narinfo(storePath string) string {
	b, _ := os.ReadFile(filepath.Join(c.dir, filepath.Base(storePath)[:32]+".narinfo"))
	return string(b)
}

// TestCacheUploadEndToEnd runs the real nixpass on the local backend with
// [cache] pointing at a signed cache served over HTTP: a build uploads
// its image's closure, signed and zstd-compressed; a second, empty store
// substitutes it from there instead of building (--max-jobs 0); an
// up-to-date rebuild uploads nothing; history records the upload; a cache
// that refuses the upload fails the build as kind cache, exit 12, keeping
// the image, and the next build retries it.
func TestCacheUploadEndToEnd(t *testing.T) {
	needNix(t)
	if os.Geteuid() != 0 {
		t.Fatal("the second, empty store (nix-build --store DIR) needs root: run the tests as root (CI does)")
	}
	w := newWorld(t)
	srv := newHTTPCache(t)
	k, err := cache.NewKeyPair("nixpass-e2e-1")
	if err != nil {
		t.Fatal(err)
	}
	secret, err := cache.WriteKeyPair(filepath.Join(w.root, "keys"), k)
	if err != nil {
		t.Fatal(err)
	}
	w.writeConfig("[builder]\nbackend = \"local\"\n\n[cache]\nurl = \"" + srv.URL + "\"\npublic_key = \"" + k.Public + "\"\nupload = \"" + srv.URL + "\"\nsecret_key_file = \"" + secret + "\"\n")
	tag := "cache-" + time.Now().Format("150405.000000000")
	dir := w.project("app", imageNix(tag, ""))
	if o := w.run("add", dir); o.code != 0 {
		t.Fatalf("add: %s", o)
	}

	o := w.run("build", dir, "--json")
	if o.code != 0 || o.res.Cache == nil || o.res.Cache.Error != "" {
		t.Fatalf("build: %s\nwant success with a cache object", o)
	}
	store := o.res.StorePath
	if c := o.res.Cache; c.URL != srv.URL || c.Paths < 1 || c.Bytes <= 0 || strings.Contains(o.stdout, secret) {
		t.Errorf("cache object %+v, want %s, at least one path and its bytes, no key path in JSON", c, srv.URL)
	}
	if ni := srv.narinfo(store); !strings.Contains(ni, "Sig: nixpass-e2e-1:") || !strings.Contains(ni, "Compression: zstd") {
		t.Fatalf("the cache holds narinfo %q for %s, want it signed by nixpass-e2e-1 and zstd", ni, store)
	}
	puts := srv.puts.Load()

	t.Run("an empty store substitutes it", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "nix-build", "--no-out-link", filepath.Join(dir, "default.nix"), "--store", filepath.Join(w.root, "store2"),
			"--max-jobs", "0", "--option", "substituters", srv.URL, "--option", "trusted-public-keys", k.Public)
		cmd.Env = append(os.Environ(), "NIX_CONFIG=")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "copying path '"+store+"' from '"+srv.URL) || strings.Contains(string(out), "building '") {
			t.Fatalf("second store: %v\n%s\nwant %s copied from %s, nothing built", err, out, store, srv.URL)
		}
	})

	t.Run("a nixpass build substitutes from the cache", func(t *testing.T) {
		// The image leaves this store; with max-jobs = 0 Nix cannot build,
		// so a success proves [cache] url and public_key reached it.
		if out, err := exec.Command("nix-store", "--delete", store).CombinedOutput(); err != nil {
			t.Fatalf("nix-store --delete %s: %v\n%s", store, err, out)
		}
		dir2 := w.project("app2", imageNix(tag, ""))
		env := w.env
		w.env = append(slices.Clone(env), "NIX_CONFIG=substituters =\nmax-jobs = 0\n")
		defer func() { w.env = env }()
		o := w.run("build", dir2, "--json")
		if o.code != 0 || o.res.StorePath != store {
			t.Fatalf("build with max_jobs = 0: %s\nwant %s substituted", o, store)
		}
		if log := string(readFile(t, o.res.Log)); !strings.Contains(log, "copying path '"+store+"' from '"+srv.URL) {
			t.Errorf("the build log does not show %s copied from %s:\n%s", store, srv.URL, log)
		}
	})

	t.Run("up to date uploads nothing", func(t *testing.T) {
		o := w.run("build", dir, "--json")
		if o.code != 0 || !o.res.UpToDate || o.res.Cache == nil || o.res.Cache.Paths != 0 || o.res.Cache.Error != "" {
			t.Fatalf("rebuild: %s\nwant up to date with an empty upload", o)
		}
		if got := srv.puts.Load(); got != puts {
			t.Errorf("the up-to-date build made %d PUTs, want none", got-puts)
		}
	})

	t.Run("history records the upload", func(t *testing.T) {
		o := w.run("history", dir, "--json")
		var h struct {
			Builds []struct {
				Cache *builder.CacheUpload `json:"cache"`
			} `json:"builds"`
		}
		if err := json.Unmarshal([]byte(o.stdout), &h); err != nil || len(h.Builds) < 2 {
			t.Fatalf("history: %v\n%s", err, o)
		}
		first := h.Builds[len(h.Builds)-1].Cache
		if first == nil || first.URL != srv.URL || first.Paths < 1 {
			t.Errorf("history's first build has cache %+v, want the upload to %s", first, srv.URL)
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
			if !strings.HasSuffix(in, ".drv") && srv.narinfo(in) == "" {
				t.Errorf("the build input %s is not in the cache", in)
			}
		}
		if roots, _ := filepath.Glob(filepath.Join(w.state, "gcroots", "*")); len(roots) != 0 {
			t.Errorf("the build-time closure's roots outlived the upload: %q", roots)
		}
	})

	t.Run("a refused upload is kind cache and retried", func(t *testing.T) {
		srv.readOnly.Store(true)
		w.setNix(dir, imageNix(tag+"-2", ""))
		o := w.run("build", dir, "--json")
		if o.code != 12 || o.res.Kind != builder.KindCache || o.res.Cache == nil || o.res.Cache.Error == "" || o.res.Hint == "" {
			t.Fatalf("build to a read-only cache: %s\nwant exit 12, kind cache, the store's error and a hint", o)
		}
		if !strings.Contains(o.res.Message, "but not uploaded to the cache") {
			t.Errorf("message %q does not say the image was built but not uploaded", o.res.Message)
		}
		if _, err := os.Stat(o.res.Output); err != nil || o.res.StorePath == store {
			t.Errorf("the new image %s is not in place (%v), or it is the old one", o.res.Output, err)
		}
		srv.readOnly.Store(false)
		o = w.run("build", dir, "--json")
		if o.code != 0 || !o.res.UpToDate || o.res.Cache == nil || o.res.Cache.Paths < 1 {
			t.Fatalf("up-to-date build after the cache came back: %s\nwant the upload retried", o)
		}
		if srv.narinfo(o.res.StorePath) == "" {
			t.Errorf("the cache lacks %s after the retry", o.res.StorePath)
		}
	})
}

// deriver is the derivation that made storePath.
func deriver(t *testing.T, storePath string) string {
	t.Helper()
	out, err := exec.Command("nix-store", "--query", "--deriver", "--", storePath).Output()
	if err != nil {
		t.Fatalf("nix-store --query --deriver %s: %v", storePath, err)
	}
	return string(out)
}

// TestCacheUntrustedDaemonWarns: a user nix-daemon does not trust (CI's
// daemon trusts root only) builds with [cache] set, and the result, a
// success, carries the warning with the lines the daemon's nix.conf
// needs.
func TestCacheUntrustedDaemonWarns(t *testing.T) {
	needNix(t)
	w := newWorldIn(t, userEnv)
	srv := newHTTPCache(t)
	k, _ := cache.NewKeyPair("nixpass-e2e-1")
	w.writeConfig("[builder]\nbackend = \"local\"\n\n[cache]\nurl = \"" + srv.URL + "\"\npublic_key = \"" + k.Public + "\"\n")
	dir := w.project("app", imageNix("untrusted-"+time.Now().Format("150405.000000000"), ""))
	o := w.run("build", dir, "--json")
	if o.code != 0 || o.res.Status != builder.StatusSucceeded {
		t.Fatalf("build as %s: %s", userEnv.user, o)
	}
	for _, want := range []string{"nix-daemon ignores the cache " + srv.URL, "for nixpass-ci", "extra-substituters = " + srv.URL, "extra-trusted-public-keys = " + k.Public} {
		if !strings.Contains(o.res.Warning, want) {
			t.Errorf("warning %q lacks %q", o.res.Warning, want)
		}
	}
}

// TestAppUploadsInTheBackground: in the app, a project's upload to the
// team cache does not hold up the build of the next project (both
// uploads wait on the server here, while the second build starts); each
// build is announced with its cache object once its upload has ended.
func TestAppUploadsInTheBackground(t *testing.T) {
	needNix(t)
	w := newWorld(t)
	srv := newHTTPCache(t)
	release := make(chan struct{})
	var inFlight atomic.Int64
	inner := srv.Config.Handler
	srv.Config.Handler = http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			inFlight.Add(1)
			<-release
		}
		inner.ServeHTTP(rw, r)
	})
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	k, _ := cache.NewKeyPair("nixpass-e2e-1")
	secret, err := cache.WriteKeyPair(filepath.Join(w.root, "keys"), k)
	if err != nil {
		t.Fatal(err)
	}
	w.writeConfig("[builder]\nbackend = \"local\"\n\n[cache]\nupload = \"" + srv.URL + "\"\nsecret_key_file = \"" + secret + "\"\n")
	stamp := time.Now().Format("150405.000000000")
	a := w.project("a", imageNix("bg-a-"+stamp, ""))
	b := w.project("b", imageNix("bg-b-"+stamp, ""))
	for _, d := range []string{a, b} {
		if o := w.run("add", d); o.code != 0 {
			t.Fatal(o)
		}
	}
	h := w.startHeadless()
	// Both never-built projects build at start: the second starts while
	// the first one's upload is held on the server.
	h.waitFor("both builds to start", func() bool {
		return h.count("BuildStarted", `"project":"`+a+`"`) == 1 && h.count("BuildStarted", `"project":"`+b+`"`) == 1
	})
	h.waitFor("an upload to reach the server", func() bool { return inFlight.Load() > 0 })
	if n := h.count("BuildFinished", ""); n != 0 {
		t.Errorf("%d builds announced as finished while their uploads were held, want none", n)
	}
	close(release)
	for _, d := range []string{a, b} {
		h.waitFor("the build of "+d+" with its upload", func() bool { return h.count("BuildFinished", `"project":"`+d+`"`) == 1 })
	}
	if n := h.count("BuildFinished", `"cache":{`); n != 2 {
		t.Errorf("%d finished builds carry a cache object, want 2", n)
	}
	for _, d := range []string{a, b} {
		if o := w.run("history", d, "--json"); !strings.Contains(o.stdout, `"cache"`) || !strings.Contains(o.stdout, srv.URL) {
			t.Errorf("history of %s: %s\nwant the upload recorded", d, o)
		}
	}
}
