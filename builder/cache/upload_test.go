package cache

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"nixpass/builder"
	"nixpass/builder/runner"
)

// cacheServer is a binary cache over HTTP on loopback: GET and HEAD serve
// its folder, PUT writes into it (Nix's http:// uploads), and it counts
// the PUTs.
type cacheServer struct {
	dir      string
	puts     atomic.Int64
	readOnly bool
	mu       sync.Mutex
	*httptest.Server
}

func newCacheServer(t *testing.T, readOnly bool) *cacheServer {
	t.Helper()
	s := &cacheServer{dir: t.TempDir(), readOnly: readOnly}
	files := http.FileServer(http.Dir(s.dir))
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut {
			files.ServeHTTP(w, r)
			return
		}
		if s.readOnly {
			http.Error(w, "read-only cache", http.StatusForbidden)
			return
		}
		s.puts.Add(1)
		s.mu.Lock()
		defer s.mu.Unlock()
		p := filepath.Join(s.dir, filepath.FromSlash(filepath.Clean("/"+r.URL.Path)))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		b, _ := io.ReadAll(r.Body)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(s.Close)
	return s
}

// countingRunner runs commands for real and counts them.
type countingRunner struct {
	n atomic.Int64
	runner.Exec
}

func (c *countingRunner) Run(ctx context.Context, cmd runner.Cmd) (*runner.Result, error) {
	c.n.Add(1)
	return c.Exec.Run(ctx, cmd)
}

// buildImage builds the offline example image (a docker archive of a
// static busybox) with a tag new to every store, on this host's Nix:
// image.nix itself, which lets caches serve it (the example's
// default.nix turns substitutes off).
func buildImage(t *testing.T, store, tag string, extra ...string) (string, error) {
	t.Helper()
	args := []string{"--no-out-link", "../../examples/offline/image.nix", "--argstr", "tag", tag}
	if store != "" {
		args = append(args, "--store", store)
	}
	out, err := nixAt{}.run(t, nil, append([]string{"nix-build"}, append(args, extra...)...)...)
	return out, err
}

func lastLine(s string) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	return l[len(l)-1]
}

// TestUploadOverHTTP uploads a built image to a cache served over HTTP,
// substitutes it into an empty store instead of building it, sees a
// cache signed by another key refused, and uploads nothing the second
// time.
func TestUploadOverHTTP(t *testing.T) {
	nixes(t)
	dir := t.TempDir()
	k, _ := NewKeyPair("nixpass-upload-1")
	secret, err := WriteKeyPair(filepath.Join(dir, "keys"), k)
	if err != nil {
		t.Fatal(err)
	}
	srv := newCacheServer(t, false)
	tag := salt(t)
	out, err := buildImage(t, "", tag)
	if err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	image := lastLine(out)

	r := &countingRunner{}
	up := Upload{URL: srv.URL, SecretKeyFile: secret, Runner: r}
	rec := &Record{}
	rep, err := up.Run(context.Background(), []string{image}, rec)
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	if rep.Paths != 1 || rep.Bytes <= 0 || rep.URL != srv.URL || rep.Error != "" {
		t.Errorf("report = %+v, want 1 path of some bytes to %s", rep, srv.URL)
	}
	narinfo, err := os.ReadFile(filepath.Join(srv.dir, filepath.Base(image)[:32]+".narinfo"))
	if err != nil || !strings.Contains(string(narinfo), "Sig: nixpass-upload-1:") || !strings.Contains(string(narinfo), "Compression: zstd") {
		t.Fatalf("the server holds narinfo %q (%v), want it signed by nixpass-upload-1 and zstd", narinfo, err)
	}
	puts := srv.puts.Load()
	if puts < 2 {
		t.Errorf("%d PUTs, want the NAR and its narinfo", puts)
	}

	t.Run("substituted, not built", func(t *testing.T) {
		out, err := buildImage(t, filepath.Join(dir, "store2"), tag, "--max-jobs", "0",
			"--option", "substituters", srv.URL, "--option", "trusted-public-keys", k.Public)
		if err != nil || !strings.Contains(out, "copying path '"+image+"' from '"+srv.URL) || lastLine(out) != image {
			t.Fatalf("second store: %v\n%s\nwant %s copied from %s", err, out, image, srv.URL)
		}
		if strings.Contains(out, "building '") {
			t.Errorf("the second store built something:\n%s", out)
		}
	})
	t.Run("another key is refused", func(t *testing.T) {
		other, _ := NewKeyPair("someone-else-1")
		out, err := buildImage(t, filepath.Join(dir, "store3"), tag, "--max-jobs", "0",
			"--option", "substituters", srv.URL, "--option", "trusted-public-keys", other.Public)
		if err == nil || !strings.Contains(out, "is not signed by any of the keys") && !strings.Contains(out, "lacks a signature") {
			t.Fatalf("a store trusting another key: %v\n%s\nwant the substitute refused", err, out)
		}
	})
	t.Run("up to date uploads nothing", func(t *testing.T) {
		before := r.n.Load()
		rep, err := up.Run(context.Background(), []string{image}, rec)
		if err != nil || rep.Paths != 0 || r.n.Load() != before || srv.puts.Load() != puts {
			t.Errorf("second upload with the record: %+v, %v; %d commands, %d PUTs; want nothing run or put", rep, err, r.n.Load()-before, srv.puts.Load()-puts)
		}
		// Without the record (a lost state folder) Nix finds the path
		// there itself.
		rep, err = up.Run(context.Background(), []string{image}, &Record{})
		if err != nil || rep.Paths != 0 || srv.puts.Load() != puts {
			t.Errorf("upload without the record: %+v, %v; %d PUTs; want none", rep, err, srv.puts.Load()-puts)
		}
	})
	t.Run("refused", func(t *testing.T) {
		ro := newCacheServer(t, true)
		os.WriteFile(filepath.Join(ro.dir, "nix-cache-info"), []byte("StoreDir: /nix/store\n"), 0o644)
		rec := &Record{}
		rep, err := Upload{URL: ro.URL, SecretKeyFile: secret, Runner: runner.Exec{}}.Run(context.Background(), []string{image}, rec)
		var be *builder.Error
		if !errors.As(err, &be) || be.Kind != builder.KindCache || !strings.Contains(be.Message, "403") || !strings.Contains(be.Hint, "refused") {
			t.Fatalf("upload to a read-only server = %v, want kind cache with Nix's 403 and the refused hint", err)
		}
		if rep.Error == "" || rec.Has(ro.URL, []string{image}) || strings.Contains(rep.Error, secret) {
			t.Errorf("report %+v, record %+v: want the error, nothing recorded, no key path", rep, rec)
		}
	})
}

// TestUploadBuildDeps uploads the build-time closure of a fresh build to a
// file:// cache, with its paths kept as garbage-collector roots until
// release, and checks the cache holds the build's busybox too.
func TestUploadBuildDeps(t *testing.T) {
	nixes(t)
	dir := t.TempDir()
	k, _ := NewKeyPair("nixpass-deps-1")
	secret, err := WriteKeyPair(filepath.Join(dir, "keys"), k)
	if err != nil {
		t.Fatal(err)
	}
	out, err := nixAt{}.run(t, nil, "nix-instantiate", writePayload(t, dir), "--argstr", "salt", salt(t))
	if err != nil {
		t.Fatalf("instantiate: %v\n%s", err, out)
	}
	drv := lastLine(out)
	if out, err := (nixAt{}).run(t, nil, "nix-store", "--realise", drv); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	up := Upload{URL: "file://" + filepath.Join(dir, "cache"), SecretKeyFile: secret, Runner: runner.Exec{}}
	root := filepath.Join(dir, "roots", "deps")
	os.MkdirAll(filepath.Dir(root), 0o755)
	paths, release, err := up.BuildDeps(context.Background(), drv, root)
	if err != nil {
		t.Fatal(err)
	}
	var bb string
	for _, p := range paths {
		if strings.HasSuffix(p, "-bb") {
			bb = p
		}
		if strings.HasSuffix(p, ".drv") {
			t.Errorf("build deps hold the derivation %s", p)
		}
	}
	if bb == "" || len(paths) < 2 {
		t.Fatalf("build deps %q, want the busybox source and the output", paths)
	}
	if target, err := os.Readlink(root); err != nil || !strings.HasPrefix(target, "/nix/store/") {
		t.Errorf("GC root %s -> %q (%v), want a store path", root, target, err)
	}
	rep, err := up.Run(context.Background(), paths, &Record{})
	if err != nil || rep.Paths != len(paths) {
		t.Fatalf("upload = %+v, %v; want %d paths", rep, err, len(paths))
	}
	if _, err := os.Stat(filepath.Join(dir, "cache", filepath.Base(bb)[:32]+".narinfo")); err != nil {
		t.Errorf("the cache lacks the build-time path %s: %v", bb, err)
	}
	release(context.Background())
	if m, _ := filepath.Glob(root + "*"); len(m) != 0 {
		t.Errorf("roots left after release: %q", m)
	}
}
