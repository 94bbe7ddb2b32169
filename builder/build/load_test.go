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

// TestBuildNotLoaded: through Builder.Build, a load that fails is a
// failed build of kind docker (exit 10) whose image is still recorded as
// the last good one, so the next build can be up to date.
func TestBuildNotLoaded(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(t.TempDir(), "image.tar")
	dockertest.Archive(t, src, "not loaded", "nixpass-test-not-loaded:1")
	image := mustRead(t, src)
	t.Setenv("FAKE_DOCKER", "fail:"+filepath.Join("..", "docker", "testdata", "docker", "cli28-daemon-down.txt"))
	st := &store.Store{StateDir: filepath.Join(dir, "state"), LogDir: filepath.Join(dir, "logs")}
	b := &Builder{Machine: &scriptMachine{stdout: "@nixpass store-path /nix/store/abc-image.tar.gz\n", image: image}, Store: st,
		Docker: &docker.CLI{Command: dockertest.Fake(t)}}
	res := b.Build(context.Background(), builder.Project{Dir: dir, File: "default.nix", Output: "result.tar.gz", DockerLoad: true})
	if res.Status != builder.StatusFailed || res.Kind != builder.KindDocker || res.Kind.ExitCode() != 10 {
		t.Fatalf("got %s %s: %+v", res.Status, res.Kind, res)
	}
	if !strings.HasPrefix(res.Message, "built result.tar.gz ("+builder.HumanBytes(int64(len(image)))+"), but not loaded into Docker: Cannot connect to the Docker daemon") {
		t.Errorf("message %q", res.Message)
	}
	if res.StorePath != "/nix/store/abc-image.tar.gz" || res.Bytes != int64(len(image)) || res.Image != "nixpass-test-not-loaded:1" {
		t.Errorf("the built image is not described: %+v", res)
	}
	if g := st.IntactGood(dir); g == nil || g.StorePath != res.StorePath {
		t.Errorf("last good = %+v, want the image just built", g)
	}
	log := string(mustRead(t, res.Log))
	if !strings.Contains(log, "failed (docker)") {
		t.Errorf("log does not record the outcome:\n%s", log)
	}
}

// TestEngineLoadImageAfterFailedLoad is the menu's "Load into Docker"
// after a build whose load failed: the same errors while the engine is
// away, then a load that turns the last result into a success, recorded
// and announced.
func TestEngineLoadImageAfterFailedLoad(t *testing.T) {
	host := dockertest.NeedEngine(t)
	dir := t.TempDir()
	tag := dockertest.UniqueName(t) + ":m"
	src := filepath.Join(t.TempDir(), "image.tar")
	id := dockertest.Archive(t, src, "menu "+tag, tag)
	dockertest.RemoveImages(t, tag, id)
	var events []builder.Event
	b := &Builder{Machine: &scriptMachine{stdout: "@nixpass store-path /nix/store/abc-image.tar.gz\n", image: mustRead(t, src)},
		Store: &store.Store{StateDir: filepath.Join(dir, "state"), LogDir: filepath.Join(dir, "logs")},
		Emit:  func(e builder.Event) { events = append(events, e) }}
	p := builder.Project{Dir: dir, File: "default.nix", Output: "result.tar.gz", DockerLoad: true}

	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(dir, "gone.sock"))
	if res := b.Build(context.Background(), p); res.Kind != builder.KindDocker {
		t.Fatalf("build with the engine away: %+v", res)
	}
	err := b.LoadImage(context.Background(), p)
	var be *builder.Error
	if !errors.As(err, &be) || be.Kind != builder.KindDocker || !strings.Contains(be.Message, "gone.sock") {
		t.Fatalf("menu load with the engine away: %v", err)
	}

	t.Setenv("DOCKER_HOST", host)
	events = nil
	if err := b.LoadImage(context.Background(), p); err != nil {
		t.Fatalf("menu load: %v", err)
	}
	last, err := b.Store.Last(dir)
	if err != nil || !last.Succeeded() || last.Loaded != tag || !strings.HasSuffix(last.Message, "; loaded "+tag+" into Docker") || strings.Contains(last.Message, "not loaded") {
		t.Errorf("last result after the menu load: %+v, %v", last, err)
	}
	if len(events) != 1 {
		t.Fatalf("events %v, want one BuildFinished", events)
	}
	if f, ok := events[0].(builder.BuildFinished); !ok || !f.Result.Succeeded() {
		t.Errorf("event %#v, want a successful BuildFinished", events[0])
	}
	if !dockertest.ImageExists(t, id) {
		t.Errorf("the image is not in Docker")
	}
}
