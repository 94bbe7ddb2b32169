package build

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"nixpass/builder"
	"nixpass/builder/docker"
	"nixpass/builder/docker/dockertest"
	"nixpass/builder/store"
)

// fakePusher stands in for builder/registry (whose real-registry tests
// live there and in app's e2e tests): it records each request and answers
// with err, or with a push of digest.
type fakePusher struct {
	reqs []PushRequest
	err  error
}

const testDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func (f *fakePusher) Push(ctx context.Context, req PushRequest) (*builder.PushResult, error) {
	f.reqs = append(f.reqs, req)
	req.Progress(builder.PushProgress{Project: req.Project, Ref: req.Ref + ":v1", Layers: 1, LayersTotal: 1, Done: true})
	if f.err != nil {
		return &builder.PushResult{Ref: req.Ref + ":v1", Error: f.err.Error()}, f.err
	}
	return &builder.PushResult{Ref: req.Ref + ":v1", Digest: testDigest, LayersUploaded: 1, BytesUploaded: 100}, nil
}

var errDenied = &builder.Error{Kind: builder.KindPush, Message: "push to reg.test failed: denied", Hint: "Ask for push access to reg.test/team/app."}

// pushWorld is a Builder over a scripted machine with a fake pusher and
// a store in a temporary folder.
func pushWorld(t *testing.T, pusher Pusher, events *[]builder.Event) (*Builder, builder.Project) {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(t.TempDir(), "image.tar")
	dockertest.Archive(t, src, "push", "nixpass-test-push:v1")
	b := &Builder{Machine: &scriptMachine{stdout: "@nixpass store-path /nix/store/abc-image.tar.gz\n", image: mustRead(t, src)},
		Store:  &store.Store{StateDir: filepath.Join(dir, "state"), LogDir: filepath.Join(dir, "logs")},
		Docker: &docker.CLI{Command: dockertest.Fake(t)}, Pusher: pusher,
		Emit: func(e builder.Event) { *events = append(*events, e) }}
	return b, builder.Project{Dir: dir, File: "default.nix", Output: "result.tar.gz", Push: "reg.test/team/app"}
}

// TestPostBuildSteps: the load, then the push, each run even when the
// one before failed; the result's kind is the first failure's, and the
// push object carries its own error.
func TestPostBuildSteps(t *testing.T) {
	t.Setenv("FAKE_DOCKER", "fail:"+filepath.Join("..", "docker", "testdata", "docker", "cli28-daemon-down.txt"))
	tests := []struct {
		name       string
		loadFails  bool
		pushErr    error
		kind       builder.Kind
		message    string
		hint       string
		pushErrMsg string
	}{
		{"pushed", false, nil, builder.KindOK, "; pushed reg.test/team/app:v1@sha256:0123456789ab…", "", ""},
		{"push denied", false, errDenied, builder.KindPush, "built result.tar.gz (", "Ask for push access", "denied"},
		{"push config problem", false, &builder.Error{Kind: builder.KindConfig, Message: "read ca_files: no such file"}, builder.KindPush, ", but not pushed: read ca_files", "", "ca_files"},
		{"load failed, pushed", true, nil, builder.KindDocker, "but not loaded into Docker", "", ""},
		{"load failed, push denied", true, errDenied, builder.KindDocker, "but not loaded into Docker", "", "denied"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var events []builder.Event
			f := &fakePusher{err: tc.pushErr}
			b, p := pushWorld(t, f, &events)
			p.DockerLoad = tc.loadFails
			res := b.Build(context.Background(), p)
			if res.Kind != tc.kind || !strings.Contains(res.Message, tc.message) || !strings.Contains(res.Hint, tc.hint) {
				t.Fatalf("got %s %q / %q; want %s with %q / %q", res.Kind, res.Message, res.Hint, tc.kind, tc.message, tc.hint)
			}
			if len(f.reqs) != 1 || f.reqs[0].Ref != p.Push || len(f.reqs[0].Files) != 1 || f.reqs[0].Files[0] != res.Output {
				t.Fatalf("pusher requests %+v, want one push of %s to %s", f.reqs, res.Output, p.Push)
			}
			if res.Push == nil || !strings.Contains(res.Push.Error, tc.pushErrMsg) || (tc.pushErrMsg == "") != (res.Push.Error == "") {
				t.Errorf("push object %+v, want error %q", res.Push, tc.pushErrMsg)
			}
			good := b.Store.IntactGood(p.Dir)
			if good == nil || good.StorePath != "/nix/store/abc-image.tar.gz" {
				t.Fatalf("last good %+v: a failed post-build step must keep the image", good)
			}
			if _, pushed := good.Pushed[p.Push]; pushed != (tc.pushErr == nil) {
				t.Errorf("recorded as pushed: %v, want %v", pushed, tc.pushErr == nil)
			}
			if !hasPushProgress(events) {
				t.Errorf("no PushProgress event on the build's Emit: %v", events)
			}
			if tc.kind != builder.KindOK && !strings.Contains(string(mustRead(t, res.Log)), "failed ("+string(tc.kind)+")") {
				t.Errorf("the log does not record the outcome")
			}
		})
	}
}

func hasPushProgress(events []builder.Event) bool {
	for _, e := range events {
		if _, ok := e.(builder.PushProgress); ok {
			return true
		}
	}
	return false
}

// TestUpToDatePushesNothing: the no-op budget. An up-to-date build of a
// store path already pushed to the ref does not call the pusher; a failed
// push is retried by the next build.
func TestUpToDatePushesNothing(t *testing.T) {
	var events []builder.Event
	f := &fakePusher{err: errDenied}
	b, p := pushWorld(t, f, &events)
	if res := b.Build(context.Background(), p); res.Kind != builder.KindPush {
		t.Fatalf("first build: %+v", res)
	}
	upToDate := &scriptMachine{stdout: "@nixpass store-path /nix/store/abc-image.tar.gz\n@nixpass up-to-date\n"}
	b.Machine = upToDate
	f.err = nil
	res := b.Build(context.Background(), p)
	if !res.UpToDate || res.Kind != builder.KindOK || len(f.reqs) != 2 {
		t.Fatalf("rebuild after a failed push: up to date %v, kind %s, %d pushes; want up to date, ok, the push retried", res.UpToDate, res.Kind, len(f.reqs))
	}
	res = b.Build(context.Background(), p)
	if !res.UpToDate || res.Kind != builder.KindOK || len(f.reqs) != 2 {
		t.Fatalf("up-to-date rebuild of a pushed store path: kind %s, %d pushes; want ok and no push", res.Kind, len(f.reqs))
	}
	if res.Push == nil || res.Push.Digest != testDigest || res.Push.LayersUploaded != 0 || res.Push.LayersExisting != 1 || res.Push.BytesUploaded != 0 {
		t.Errorf("push object of an up-to-date build %+v, want the recorded digest and nothing uploaded", res.Push)
	}
	// Another ref is another push.
	p.Push = "reg.test/team/other"
	if res := b.Build(context.Background(), p); res.Kind != builder.KindOK || len(f.reqs) != 3 {
		t.Errorf("a new ref: kind %s, %d pushes; want a push", res.Kind, len(f.reqs))
	}
}

// TestPushImageAfterFailedPush is `nixpass push` after a build whose push
// failed: a successful push turns that result into a success, recorded
// and announced; the next build of the same store path pushes nothing.
func TestPushImageAfterFailedPush(t *testing.T) {
	var events []builder.Event
	f := &fakePusher{err: errDenied}
	b, p := pushWorld(t, f, &events)
	if res := b.Build(context.Background(), p); res.Kind != builder.KindPush {
		t.Fatalf("build: %+v", res)
	}
	_, err := b.PushImage(context.Background(), p, p.Push, nil)
	var be *builder.Error
	if !errors.As(err, &be) || be.Kind != builder.KindPush {
		t.Fatalf("push still denied: %v", err)
	}
	f.err, events = nil, nil
	if _, err := b.PushImage(context.Background(), p, p.Push, nil); err != nil {
		t.Fatal(err)
	}
	last, err := b.Store.Last(p.Dir)
	if err != nil || !last.Succeeded() || !last.Pushed() || strings.Contains(last.Message, "not pushed") || !strings.HasSuffix(last.Message, "; pushed reg.test/team/app:v1@sha256:0123456789ab…") {
		t.Fatalf("last result after the push: %+v, %v", last, err)
	}
	finished := 0
	for _, e := range events {
		if f, ok := e.(builder.BuildFinished); ok && f.Result.Succeeded() {
			finished++
		}
	}
	if finished != 1 {
		t.Errorf("events %v, want one successful BuildFinished", events)
	}
	b.Machine = &scriptMachine{stdout: "@nixpass store-path /nix/store/abc-image.tar.gz\n@nixpass up-to-date\n"}
	if res := b.Build(context.Background(), p); res.Kind != builder.KindOK || len(f.reqs) != 3 {
		t.Errorf("rebuild after nixpass push: kind %s, %d pushes; want ok and no new push", res.Kind, len(f.reqs))
	}

	// No good image: kind config, build first.
	empty := builder.Project{Dir: t.TempDir(), File: "default.nix", Output: "result.tar.gz"}
	if _, err := b.PushImage(context.Background(), empty, p.Push, nil); !errors.As(err, &be) || be.Kind != builder.KindConfig || !strings.Contains(be.Message, "build first") {
		t.Errorf("push without a good image: %v", err)
	}
}
