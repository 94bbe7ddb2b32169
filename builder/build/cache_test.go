package build

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"nixpass/builder"
	"nixpass/builder/docker"
	"nixpass/builder/docker/dockertest"
	"nixpass/builder/store"
)

// fakeUploader records the uploads asked of it and answers with err.
type fakeUploader struct {
	calls []string // store paths, with what was done before
	err   error
}

func (f *fakeUploader) UploadCache(ctx context.Context, storePath string, done []string) (*builder.CacheUpload, string, error) {
	const url = "https://cache.example.com"
	rep := &builder.CacheUpload{URL: url}
	for _, d := range done {
		if d == url {
			return rep, url, nil // the real one runs nothing then
		}
	}
	f.calls = append(f.calls, storePath)
	if f.err != nil {
		rep.Error = f.err.Error()
		return rep, url, f.err
	}
	rep.Paths, rep.Bytes = 2, 1000
	return rep, url, nil
}

// TestPostBuildSteps: the upload runs after docker load, even when the
// load failed (the fake docker CLI, a daemon that is down); the result's kind is the first failed step's; each step's
// failure is in its own place; a successful upload is recorded with the
// good output, so the up-to-date build hands the uploader the record.
func TestPostBuildStepsUpload(t *testing.T) {
	refused := &builder.Error{Kind: builder.KindCache, Message: "upload to https://cache.example.com: HTTP error 403", Hint: "the server refused the upload"}
	tests := []struct {
		name       string
		loadFails  bool
		uploadErr  error
		wantKind   builder.Kind
		wantPrefix string
	}{
		{"both work", false, nil, builder.KindOK, "built result.tar.gz"},
		{"upload fails", false, refused, builder.KindCache, "built result.tar.gz"},
		{"load fails, upload works", true, nil, builder.KindDocker, "built result.tar.gz"},
		{"both fail: the load's kind", true, refused, builder.KindDocker, "built result.tar.gz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			src := filepath.Join(t.TempDir(), "image.tar")
			dockertest.Archive(t, src, "post", "nixpass-test-post:1")
			// The fake docker only fails; without a failing load the
			// project does not load at all.
			t.Setenv("FAKE_DOCKER", "fail:"+filepath.Join("..", "docker", "testdata", "docker", "cli28-daemon-down.txt"))
			st := &store.Store{StateDir: filepath.Join(dir, "state"), LogDir: filepath.Join(dir, "logs")}
			up := &fakeUploader{err: tt.uploadErr}
			b := &Builder{Machine: &scriptMachine{stdout: "@nixpass store-path /nix/store/abc-image.tar.gz\n", image: mustRead(t, src)}, Store: st,
				Docker: &docker.CLI{Command: dockertest.Fake(t)}, Cache: up}
			res := b.Build(context.Background(), builder.Project{Dir: dir, File: "default.nix", Output: "result.tar.gz", DockerLoad: tt.loadFails})
			if res.Kind != tt.wantKind || !strings.HasPrefix(res.Message, tt.wantPrefix) {
				t.Fatalf("kind %s, message %q; want %s, %q…", res.Kind, res.Message, tt.wantKind, tt.wantPrefix)
			}
			if len(up.calls) != 1 || res.Cache == nil || (res.Cache.Error != "") != (tt.uploadErr != nil) {
				t.Fatalf("uploads %q, cache %+v; want one upload, error %v", up.calls, res.Cache, tt.uploadErr)
			}
			if tt.wantKind == builder.KindCache && (!strings.Contains(res.Message, "but not uploaded to the cache: upload to https://cache.example.com: HTTP error 403") || res.Hint != refused.Hint) {
				t.Errorf("message %q, hint %q: want the cache's error and hint", res.Message, res.Hint)
			}
			g := st.IntactGood(dir)
			if g == nil || g.StorePath != res.StorePath {
				t.Fatalf("last good = %+v, want the image just built (kept whatever a post-build step did)", g)
			}
			if uploaded := len(g.Uploaded) == 1; uploaded != (tt.uploadErr == nil) {
				t.Errorf("recorded uploads %q, want the cache recorded: %v", g.Uploaded, tt.uploadErr == nil)
			}
			// The same output again: a recorded upload is not asked for; a
			// failed one is retried.
			b.Build(context.Background(), builder.Project{Dir: dir, File: "default.nix", Output: "result.tar.gz", DockerLoad: tt.loadFails})
			if want := map[bool]int{true: 1, false: 2}[tt.uploadErr == nil]; len(up.calls) != want {
				t.Errorf("after a second build of the same output: %d uploads, want %d", len(up.calls), want)
			}
		})
	}
}

// TestCacheErrorIsCleaned: the store's error in the cache object is
// masked like every other text of a result (a URL's user info, escapes).
func TestCacheErrorIsCleaned(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(t.TempDir(), "image.tar")
	dockertest.Archive(t, src, "post", "nixpass-test-post:1")
	leak := &builder.Error{Kind: builder.KindCache, Message: "upload: unable to download 'https://ana:s3cret@cache.example.com/nix-cache-info'\x1b[31m"}
	b := &Builder{Machine: &scriptMachine{stdout: "@nixpass store-path /nix/store/abc-image.tar.gz\n", image: mustRead(t, src)},
		Cache: &fakeUploader{err: leak}}
	res := b.Build(context.Background(), builder.Project{Dir: dir, File: "default.nix", Output: "result.tar.gz"})
	if res.Cache == nil || strings.Contains(res.Cache.Error, "s3cret") || strings.Contains(res.Cache.Error, "\x1b") || !strings.Contains(res.Cache.Error, "cache.example.com") {
		t.Errorf("cache object %+v: want the error without the password or escapes", res.Cache)
	}
	if strings.Contains(res.Message, "s3cret") {
		t.Errorf("message %q shows the password", res.Message)
	}
}

// TestPostBuildStepsAll: with a push ref and a team cache, a failed push
// does not stop the upload (the steps run in order: load, push, upload),
// and the result's kind is the push's, the first step that failed.
func TestPostBuildStepsAll(t *testing.T) {
	var events []builder.Event
	pusher := &fakePusher{err: errDenied}
	b, p := pushWorld(t, pusher, &events)
	up := &fakeUploader{}
	b.Cache = up
	res := b.Build(context.Background(), p)
	if res.Kind != builder.KindPush || res.Push == nil || res.Push.Error == "" {
		t.Fatalf("kind %s, push %+v: want the push's failure", res.Kind, res.Push)
	}
	if len(pusher.reqs) != 1 || len(up.calls) != 1 || res.Cache == nil || res.Cache.Error != "" {
		t.Fatalf("pushes %d, uploads %q, cache %+v: want both steps run, the upload done", len(pusher.reqs), up.calls, res.Cache)
	}
}
