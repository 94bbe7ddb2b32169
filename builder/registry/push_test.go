package registry

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"nixpass/builder"
)

func pushOpts(t *testing.T, state, ref string, files ...string) Options {
	t.Helper()
	o := Options{Ref: ref, Name: "app", StateDir: state, Version: "test"}
	for _, f := range files {
		o.Images = append(o.Images, Image{File: f})
	}
	return o
}

func TestPushUncompressedThenUnchangedReadsNoLayer(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	reg := newMemRegistry(t)
	dir, state := t.TempDir(), t.TempDir()
	file := testImage{tag: "app:v1", layers: [][]byte{layerTar(t, "a", 1<<20), layerTar(t, "b", 2<<20)}}.write(t, dir, "image.tar")
	ref := reg.host() + "/team/app"

	var events []Progress
	o := pushOpts(t, state, ref, file)
	o.Progress = func(p Progress) { events = append(events, p) }
	var log strings.Builder
	o.Log = &log
	res, err := Push(context.Background(), o)
	if err != nil {
		t.Fatalf("push: %v", err)
	}
	if want := ref + ":v1"; res.Ref != want {
		t.Errorf("ref = %q, want %q (the image's own tag)", res.Ref, want)
	}
	if res.LayersUploaded != 2 || res.LayersExisting != 0 || res.BytesUploaded == 0 {
		t.Errorf("first push: uploaded %d, existing %d, bytes %d; want 2, 0, >0", res.LayersUploaded, res.LayersExisting, res.BytesUploaded)
	}
	// What the registry serves.
	desc, err := remote.Get(mustRef(t, res.Ref))
	if err != nil {
		t.Fatal(err)
	}
	if desc.Digest.String() != res.Digest || desc.MediaType != types.DockerManifestSchema2 {
		t.Errorf("registry serves %s %s; result says %s", desc.MediaType, desc.Digest, res.Digest)
	}
	img, _ := desc.Image()
	ls, _ := img.Layers()
	if len(ls) != 2 {
		t.Fatalf("registry's manifest has %d layers, want 2", len(ls))
	}
	for i, l := range ls { // the blobs decompress to the layers written
		d, _ := l.DiffID()
		if cf, _ := img.ConfigFile(); cf.RootFS.DiffIDs[i] != d {
			t.Errorf("layer %d diff ID %s, config says %s", i, d, cf.RootFS.DiffIDs[i])
		}
	}
	if len(events) == 0 || !events[len(events)-1].Done || events[len(events)-1].Layers != 2 {
		t.Errorf("progress events %+v: want a last Done event with 2/2 layers", events)
	}
	if !strings.Contains(log.String(), "# push: "+ref+":v1: pushed sha256:") {
		t.Errorf("log %q lacks the pushed line", log.String())
	}

	reg.reset()
	opens := archiveOpens.Load()
	res2, err := Push(context.Background(), pushOpts(t, state, ref, file))
	if err != nil {
		t.Fatalf("re-push: %v", err)
	}
	if got := archiveOpens.Load() - opens; got != 0 {
		t.Errorf("unchanged re-push opened the image file %d times, want 0", got)
	}
	if res2.LayersUploaded != 0 || res2.LayersExisting != 2 || res2.Digest != res.Digest {
		t.Errorf("re-push: %+v; want 0 uploaded, 2 existing, digest %s", res2, res.Digest)
	}
	if n := reg.count("PATCH", "/blobs/uploads") + reg.count("PUT", "/manifests/"); n != 0 {
		t.Errorf("unchanged re-push sent %d uploads or manifest writes, want 0", n)
	}
}

func TestPushGzippedRemovesTempAndSkipsExistingLayer(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	reg := newMemRegistry(t)
	dir, state := t.TempDir(), t.TempDir()
	shared := layerTar(t, "shared", 1<<20)
	// A hostile file name: nixpass never builds a shell string from it.
	first := testImage{layers: [][]byte{shared, layerTar(t, "one", 1<<19)}, gz: true}.write(t, dir, "o'ne $(x) \n;.tar.gz")
	second := testImage{tag: "app:4dyhq3lrvn4b0d0g6k1mjkvq1ss5b1gh", layers: [][]byte{shared, layerTar(t, "two", 1<<19)}, gz: true}.write(t, dir, "two.tar.gz")
	ref := reg.host() + "/app"
	if _, err := Push(context.Background(), pushOpts(t, state, ref, first)); err != nil {
		t.Fatal(err)
	}
	res, err := Push(context.Background(), pushOpts(t, state, ref, second))
	if err != nil {
		t.Fatal(err)
	}
	if res.Ref != ref+":latest" {
		t.Errorf("ref = %q: an image tagged with its output hash goes to latest", res.Ref)
	}
	if res.LayersUploaded != 1 || res.LayersExisting != 1 {
		t.Errorf("second push uploaded %d, found %d; want 1 and 1 (the shared layer)", res.LayersUploaded, res.LayersExisting)
	}
	left, _ := os.ReadDir(filepath.Join(state, "registry", "tmp"))
	if len(left) != 0 {
		t.Errorf("decompressed copies left behind: %v", left)
	}
}

func TestPushManifestList(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	reg := newMemRegistry(t)
	dir, state := t.TempDir(), t.TempDir()
	amd := testImage{tag: "app:v2", layers: [][]byte{layerTar(t, "x", 4096)}}.write(t, dir, "amd.tar")
	arm := testImage{arch: "arm64", layers: [][]byte{layerTar(t, "y", 4096)}}.write(t, dir, "arm.tar")
	res, err := Push(context.Background(), pushOpts(t, state, reg.host()+"/multi", amd, arm))
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(mustRef(t, res.Ref))
	if err != nil {
		t.Fatal(err)
	}
	mt, _ := idx.MediaType()
	d, _ := idx.Digest()
	im, _ := idx.IndexManifest()
	if mt != types.DockerManifestList || d.String() != res.Digest || len(im.Manifests) != 2 {
		t.Fatalf("registry serves %s %s with %d manifests; want a manifest list %s with 2", mt, d, len(im.Manifests), res.Digest)
	}
	var got []string
	for i, m := range im.Manifests {
		got = append(got, m.Platform.String())
		if res.Platforms[i].Digest != m.Digest.String() || res.Platforms[i].Platform != m.Platform.String() {
			t.Errorf("platform %d: result %+v, registry %s %s", i, res.Platforms[i], m.Platform, m.Digest)
		}
	}
	if strings.Join(got, ",") != "linux/amd64,linux/arm64" {
		t.Errorf("platforms %v", got)
	}
}

func TestPushStaleCachedDigestRecompressesOnce(t *testing.T) {
	for _, tc := range []struct {
		name     string
		sameSize bool // the registry answers DIGEST_INVALID; else the sizes disagree
	}{{"DIGEST_INVALID", true}, {"size differs", false}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("DOCKER_CONFIG", t.TempDir())
			reg := newMemRegistry(t)
			dir, state := t.TempDir(), t.TempDir()
			l := layerTar(t, "z", 1<<18)
			file := testImage{layers: [][]byte{l}}.write(t, dir, "img.tar")
			var z bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&z, level)
			zw.Write(l)
			zw.Close()
			wrong := blobInfo{Digest: "sha256:" + strings.Repeat("ab", 32), Size: 10}
			if tc.sameSize {
				wrong.Size = int64(z.Len())
			}
			c := loadCache(state)
			key := layerKey("sha256:"+sum(l), compression, level, "test")
			c.setLayer(key, wrong)
			if err := c.save(); err != nil {
				t.Fatal(err)
			}
			res, err := Push(context.Background(), pushOpts(t, state, reg.host()+"/d", file))
			if err != nil {
				t.Fatalf("push with a stale cached digest: %v", err)
			}
			if got, _ := loadCache(state).layer(key); got.Digest != "sha256:"+sum(z.Bytes()) {
				t.Errorf("cache holds %+v after the refusal, want the layer's real digest", got)
			}
			if res.LayersUploaded != 1 {
				t.Errorf("uploaded %d layers, want 1", res.LayersUploaded)
			}
			if tc.sameSize && reg.count("PUT", "digest=sha256%3A"+strings.Repeat("ab", 32)) != 1 {
				t.Errorf("the stale digest was not tried once first: %v", reg.reqs)
			}
		})
	}
}

func TestPushFaults(t *testing.T) {
	cases := []struct {
		name      string
		fault     func(w http.ResponseWriter, r *http.Request) bool
		wantCause string
		wantHint  string
	}{
		{"413", func(w http.ResponseWriter, r *http.Request) bool {
			if r.Method == http.MethodPatch || r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/blobs/") {
				registryError(w, http.StatusRequestEntityTooLarge, "SIZE_INVALID", "too big")
				return true
			}
			return false
		}, "quota or size limit", "quota"},
		{"DENIED quota", func(w http.ResponseWriter, r *http.Request) bool {
			if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/") {
				registryError(w, http.StatusForbidden, "DENIED", "storage quota exceeded")
				return true
			}
			return false
		}, "quota or size limit", "quota"},
		{"403 denied", func(w http.ResponseWriter, r *http.Request) bool {
			registryError(w, http.StatusForbidden, "DENIED", "requested access to the resource is denied")
			return true
		}, "may not push", "docker login"},
		{"401", func(w http.ResponseWriter, r *http.Request) bool {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			registryError(w, http.StatusUnauthorized, "UNAUTHORIZED", "authentication required")
			return true
		}, "not logged in", "docker login 127.0.0.1:"},
		{"name refused", func(w http.ResponseWriter, r *http.Request) bool {
			if r.Method == http.MethodPost {
				registryError(w, http.StatusBadRequest, "NAME_INVALID", "invalid repository name")
				return true
			}
			return false
		}, "repository name", "repository name"},
		{"dropped connection", func(w http.ResponseWriter, r *http.Request) bool {
			if r.Method == http.MethodPatch || r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/blobs/") {
				hj, _ := w.(http.Hijacker)
				conn, _, _ := hj.Hijack()
				conn.Close()
				return true
			}
			return false
		}, "interrupted", "nixpass push"},
	}
	backoff.Duration, backoff.Steps = 1, 2
	t.Cleanup(func() { backoff.Duration, backoff.Steps = 1e9, 5 })
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("DOCKER_CONFIG", t.TempDir())
			reg := newMemRegistry(t)
			dir := t.TempDir()
			file := testImage{tag: "app:v1", layers: [][]byte{layerTar(t, "f", 1<<16)}}.write(t, dir, "img.tar")
			ref := reg.host() + "/f/app"
			// A tag that names an older image stays on it.
			old := testImage{tag: "app:v1", layers: [][]byte{layerTar(t, "old", 1024)}}.write(t, dir, "old.tar")
			before, err := Push(context.Background(), pushOpts(t, t.TempDir(), ref, old))
			if err != nil {
				t.Fatal(err)
			}
			reg.setFault(tc.fault)
			res, err := Push(context.Background(), pushOpts(t, t.TempDir(), ref, file))
			var be *builder.Error
			if !errors.As(err, &be) || be.Kind != builder.KindPush || builder.KindPush.ExitCode() != 11 {
				t.Fatalf("err = %v; want a push error", err)
			}
			if !strings.Contains(be.Message, "push to "+reg.host()) || !strings.Contains(be.Message, tc.wantCause) || !strings.Contains(be.Hint, tc.wantHint) {
				t.Errorf("message %q / hint %q; want the registry, %q and a hint with %q", be.Message, be.Hint, tc.wantCause, tc.wantHint)
			}
			if res.Error != be.Message {
				t.Errorf("result error %q, want the message", res.Error)
			}
			reg.setFault(nil)
			if d, err := remote.Head(mustRef(t, ref+":v1")); err != nil || d.Digest.String() != before.Digest {
				t.Errorf("after the failed push the tag names %v (%v), want the old image %s", d, err, before.Digest)
			}
		})
	}
}

// The in-process registry shares blobs between repositories, so mounts
// are read back from the real registry (TestRealRegistryNixImagesAndManifestList);
// this checks which repository a mount may come from.
func TestMountFromOnlyARepositoryOfTheSameRegistryPushedBefore(t *testing.T) {
	c := loadCache(t.TempDir())
	c.pushedTo("sha256:aa", "reg.example:5000/one")
	c.pushedTo("sha256:aa", "other.example/two")
	cases := []struct{ digest, registry, repo, want string }{
		{"sha256:aa", "reg.example:5000", "three", "reg.example:5000/one"},
		{"sha256:aa", "reg.example:5000", "one", ""}, // its own repository
		{"sha256:aa", "reg.example", "x", ""},        // another registry
		{"sha256:bb", "reg.example:5000", "x", ""},   // never pushed
		{"sha256:aa", "other.example", "x", "other.example/two"},
	}
	for _, tc := range cases {
		if got := c.mountFrom(tc.digest, tc.registry, tc.repo); got != tc.want {
			t.Errorf("mountFrom(%s, %s, %s) = %q, want %q", tc.digest, tc.registry, tc.repo, got, tc.want)
		}
	}
}

func TestPushRetriesAnInterruptedUpload(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	backoff.Duration = 1
	t.Cleanup(func() { backoff.Duration = 1e9 })
	reg := newMemRegistry(t)
	// Handlers run concurrently: the count is atomic.
	var dropped atomic.Int32
	reg.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPatch && dropped.CompareAndSwap(0, 1) {
			io.CopyN(io.Discard, r.Body, 1000)
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
			return true
		}
		return false
	})
	file := testImage{layers: [][]byte{layerTar(t, "r", 1<<20)}}.write(t, t.TempDir(), "img.tar")
	res, err := Push(context.Background(), pushOpts(t, t.TempDir(), reg.host()+"/retry", file))
	if err != nil || dropped.Load() != 1 || res.LayersUploaded != 1 {
		t.Fatalf("push after one dropped upload: %+v, %v (dropped %d)", res, err, dropped.Load())
	}
	img, err := remote.Image(mustRef(t, res.Ref))
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := img.Digest(); d.String() != res.Digest {
		t.Errorf("registry serves %s, push said %s", d, res.Digest)
	}
}

func TestImageCacheIsBounded(t *testing.T) {
	dir := t.TempDir()
	for i := range 5 {
		p := filepath.Join(dir, string(rune('a'+i)))
		os.WriteFile(p, nil, 0o600)
		os.Chtimes(p, time.Unix(int64(1000+i), 0), time.Unix(int64(1000+i), 0))
	}
	pruneOldest(dir, 3)
	left, _ := os.ReadDir(dir)
	var names []string
	for _, e := range left {
		names = append(names, e.Name())
	}
	if strings.Join(names, "") != "cde" {
		t.Errorf("kept %v, want the 3 newest c d e", names)
	}
}
