package docker

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nixpass/builder"
	"nixpass/builder/docker/dockertest"
)

// These tests run against the real dockerd that .ci/setup starts (or
// the engine NIXPASS_TEST_DOCKER_HOST names). Every image has a unique
// name and is removed at the end; nothing here touches other images.

var (
	needEngine   = dockertest.NeedEngine
	dockerCLI    = dockertest.CLI
	uniqueName   = dockertest.UniqueName
	testArchive  = dockertest.Archive
	removeImages = dockertest.RemoveImages
	imageExists  = dockertest.ImageExists
)

func dangling(t *testing.T) map[string]bool {
	out, err := dockerCLI(t, "images", "-q", "--no-trunc", "-f", "dangling=true")
	if err != nil {
		t.Fatal(out)
	}
	set := map[string]bool{}
	for _, id := range strings.Fields(out) {
		set[id] = true
	}
	return set
}

// TestEngineReloadLeavesNoDangling: loading a changed image under the
// same tag removes the one it replaced, and reports the tag loaded.
func TestEngineReloadLeavesNoDangling(t *testing.T) {
	needEngine(t)
	tag := uniqueName(t) + ":v"
	dir := t.TempDir()
	img := filepath.Join(dir, "result.tar.gz")
	id1 := testArchive(t, img, "one "+tag, tag)
	removeImages(t, tag, id1)
	var logged []string
	d := &CLI{Log: func(l string) { logged = append(logged, l) }}
	loaded, err := d.Load(context.Background(), img, tag)
	if err != nil || loaded != tag {
		t.Fatalf("first load = %q, %v; want %q", loaded, err, tag)
	}
	before := dangling(t)
	id2 := testArchive(t, img, "two "+tag, tag)
	removeImages(t, id2)
	if loaded, err := d.Load(context.Background(), img, tag); err != nil || loaded != tag {
		t.Fatalf("second load = %q, %v", loaded, err)
	}
	if out, _ := dockerCLI(t, "image", "inspect", "--format", "{{.Id}}", tag); out != id2 {
		t.Errorf("%s is %s, want the new image %s", tag, out, id2)
	}
	if imageExists(t, id1) {
		t.Errorf("the replaced image %s is still there", id1)
	}
	for id := range dangling(t) {
		if !before[id] {
			t.Errorf("the reload left a new dangling image %s", id)
		}
	}
	if !strings.Contains(strings.Join(logged, "\n"), "removed the previous image "+id1) {
		t.Errorf("build log lines %q do not say what was removed", logged)
	}
}

// TestEngineKeepsWhatIsStillUsed: the replaced image stays when a
// container (even a stopped one) uses it, or when another tag names it.
func TestEngineKeepsWhatIsStillUsed(t *testing.T) {
	needEngine(t)
	for _, how := range []string{"container", "other tag"} {
		t.Run(how, func(t *testing.T) {
			name := uniqueName(t)
			tag := name + ":v"
			img := filepath.Join(t.TempDir(), "result.tar.gz")
			id1 := testArchive(t, img, "one "+tag, tag)
			removeImages(t, tag, name+":other", id1)
			d := &CLI{}
			if _, err := d.Load(context.Background(), img, tag); err != nil {
				t.Fatal(err)
			}
			if how == "container" {
				if out, err := dockerCLI(t, "create", "--network", "none", "--name", name, tag); err != nil {
					t.Fatalf("docker create: %s", out)
				}
				t.Cleanup(func() { _, _ = dockerCLI(t, "rm", name) })
			} else if out, err := dockerCLI(t, "tag", tag, name+":other"); err != nil {
				t.Fatalf("docker tag: %s", out)
			}
			id2 := testArchive(t, img, "two "+tag, tag)
			removeImages(t, id2)
			if _, err := d.Load(context.Background(), img, tag); err != nil {
				t.Fatal(err)
			}
			if !imageExists(t, id1) {
				t.Errorf("the previous image was removed although its %s uses it", how)
			}
		})
	}
}

// TestEngineUntaggedAndStream: an archive without tags is reported by
// its ID; a streamed load replaces a tag as a file load does, learning
// the old image from docker's own report.
func TestEngineUntaggedAndStream(t *testing.T) {
	needEngine(t)
	dir := t.TempDir()
	img := filepath.Join(dir, "untagged.tar.gz")
	id := testArchive(t, img, "untagged "+uniqueName(t))
	removeImages(t, id)
	loaded, err := (&CLI{}).Load(context.Background(), img, "")
	if err != nil || loaded != id {
		t.Fatalf("untagged load = %q, %v; want the ID %s", loaded, err, id)
	}

	tag := uniqueName(t) + ":s"
	id1 := testArchive(t, img, "one "+tag, tag)
	id2 := testArchive(t, filepath.Join(dir, "two.tar.gz"), "two "+tag, tag)
	removeImages(t, tag, id1, id2)
	if _, err := (&CLI{}).Load(context.Background(), img, tag); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "two.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if loaded, err := (&CLI{}).LoadStream(context.Background(), f); err != nil || loaded != tag {
		t.Fatalf("LoadStream = %q, %v; want %q", loaded, err, tag)
	}
	if imageExists(t, id1) || !imageExists(t, id2) {
		t.Errorf("after the streamed load: old image kept %v, new one there %v", imageExists(t, id1), imageExists(t, id2))
	}
}

// TestEngineErrors: what the real CLI and engine say when the file is
// not an image, the engine is not there, or the context is unknown.
func TestEngineErrors(t *testing.T) {
	host := needEngine(t)
	dir := t.TempDir()
	notImage := filepath.Join(dir, "result.tar.gz")
	if err := os.WriteFile(notImage, []byte("#!/bin/sh\necho a script, not an image\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, env, value string
		message, hint    string
	}{
		{"not an image", "DOCKER_HOST", host, "Error processing tar file", "buildLayeredImage"},
		{"engine not there", "DOCKER_HOST", "unix://" + filepath.Join(dir, "dead.sock"), "dead.sock", dockerDownHint},
		{"unknown context", "DOCKER_CONTEXT", "nixpass-no-such-context", `context "nixpass-no-such-context"`, "context ls"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(tt.env, tt.value)
			if tt.env == "DOCKER_CONTEXT" {
				os.Unsetenv("DOCKER_HOST") // DOCKER_HOST wins over a context
			}
			_, err := (&CLI{}).Load(context.Background(), notImage, "")
			var be *builder.Error
			if !errors.As(err, &be) || be.Kind != builder.KindDocker {
				t.Fatalf("err = %v", err)
			}
			if !strings.Contains(be.Message, tt.message) || !strings.Contains(be.Hint, tt.hint) {
				t.Errorf("message %q / hint %q; want %q / %q", be.Message, be.Hint, tt.message, tt.hint)
			}
		})
	}
}

// TestEngineContext: DOCKER_CONTEXT is obeyed as the CLI obeys it: a
// context (in a private DOCKER_CONFIG) that points at the test engine is
// where the image lands, with no DOCKER_HOST set.
func TestEngineContext(t *testing.T) {
	host := needEngine(t)
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	if out, err := dockerCLI(t, "context", "create", "nixpass-ci", "--docker", "host="+host); err != nil {
		t.Fatalf("docker context create: %s", out)
	}
	os.Unsetenv("DOCKER_HOST")
	t.Setenv("DOCKER_CONTEXT", "nixpass-ci")
	tag := uniqueName(t) + ":c"
	img := filepath.Join(t.TempDir(), "result.tar.gz")
	id := testArchive(t, img, "ctx "+tag, tag)
	removeImages(t, tag, id)
	if loaded, err := (&CLI{}).Load(context.Background(), img, tag); err != nil || loaded != tag {
		t.Fatalf("load through the context = %q, %v", loaded, err)
	}
	if !imageExists(t, id) {
		t.Errorf("the image is not in the engine the context names")
	}
}
