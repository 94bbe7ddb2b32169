package build

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"nixpass/builder"
	"nixpass/builder/docker/dockertest"
	"nixpass/builder/store"
	"nixpass/builder/vmusers"
)

// heldUploader's uploads wait until release is closed.
type heldUploader struct {
	release chan struct{}
	started chan string
}

func (h *heldUploader) UploadCache(ctx context.Context, storePath string, done []string) (*builder.CacheUpload, string, error) {
	h.started <- storePath
	<-h.release
	return &builder.CacheUpload{URL: "https://cache.example.com", Paths: 1, Bytes: 10}, "https://cache.example.com", nil
}

// TestBackgroundUploads: with Uploads (the app), Build returns while its
// upload still runs, and the next build, of another project, does not
// wait for it; Wait does; each result is recorded and announced with its
// cache object once its upload has ended. While they run, both are on
// the VM users' record (a stop of the VM in any process waits for them).
func TestBackgroundUploads(t *testing.T) {
	src := filepath.Join(t.TempDir(), "image.tar")
	dockertest.Archive(t, src, "bg", "nixpass-test-bg:1")
	state := t.TempDir()
	st := &store.Store{StateDir: filepath.Join(state, "state"), LogDir: filepath.Join(state, "logs")}
	up := &heldUploader{release: make(chan struct{}), started: make(chan string, 2)}
	users := &vmusers.Record{Dir: filepath.Join(state, "vm-users")}
	var mu sync.Mutex
	finished := map[string]builder.Result{}
	b := &Builder{Machine: &scriptMachine{stdout: "@nixpass store-path /nix/store/abc-image.tar.gz\n", image: mustRead(t, src)}, Store: st,
		Cache: up, Uploads: &Uploads{Users: users}, LockPath: filepath.Join(state, "build.lock"),
		Emit: func(e builder.Event) {
			if f, ok := e.(builder.BuildFinished); ok {
				mu.Lock()
				finished[f.Result.Project] = f.Result
				mu.Unlock()
			}
		}}
	a, c := t.TempDir(), t.TempDir()
	for _, dir := range []string{a, c} {
		done := make(chan *builder.Result, 1)
		go func() {
			done <- b.Build(context.Background(), builder.Project{Dir: dir, File: "default.nix", Output: "result.tar.gz"})
		}()
		select {
		case res := <-done:
			if res.Status != builder.StatusSucceeded || res.Cache != nil {
				t.Fatalf("build of %s returned %s %+v, want success with the upload still running", dir, res.Status, res.Cache)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("the build of %s waited for an upload", dir)
		}
		<-up.started
	}
	if n := b.Uploads.Running(); n != 2 {
		t.Errorf("%d uploads running, want 2", n)
	}
	if last, _ := st.Last(a); last != nil {
		t.Errorf("the result of %s was recorded before its upload ended: %+v", a, last)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := b.Uploads.Wait(ctx); err == nil {
		t.Fatal("Wait returned while uploads still ran")
	}
	on, _ := users.Users()
	want := "the cache upload of " + filepath.Base(a) + " and the cache upload of " + filepath.Base(c)
	if got := vmusers.Describe(on); got != want {
		t.Errorf("VM users during the uploads: %q, want %q", got, want)
	}
	close(up.release)
	if err := b.Uploads.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if on, _ := users.Users(); len(on) != 0 {
		t.Errorf("VM users after the uploads: %v, want none", on)
	}
	for _, dir := range []string{a, c} {
		last, _ := st.Last(dir)
		mu.Lock()
		f := finished[dir]
		mu.Unlock()
		if last == nil || last.Cache == nil || last.Cache.Paths != 1 || f.Cache == nil || f.Cache.Paths != 1 {
			t.Errorf("%s: recorded %+v, announced %+v; want both with the upload", dir, last, f.Cache)
		}
		if g := st.IntactGood(dir); g == nil || len(g.Uploaded) != 1 {
			t.Errorf("%s: last good %+v, want the upload recorded", dir, g)
		}
	}
}
