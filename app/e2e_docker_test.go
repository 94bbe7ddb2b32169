package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"nixpass/builder"
	"nixpass/internal/citest"
)

// The docker tests load into the real dockerd .ci/setup runs (or the one
// NIXPASS_TEST_DOCKER_HOST names), never stopping it: "engine down" is a
// DOCKER_HOST at a socket nothing listens on. Images get unique names and
// are removed at the end.

// needEngine returns the test engine's DOCKER_HOST (citest.DockerHost).
func needEngine(t *testing.T) string { return citest.DockerHost(t) }

// engine runs the docker CLI against host.
type engine struct {
	t    *testing.T
	host string
}

func (e engine) docker(args ...string) (string, error) {
	cmd := exec.Command("docker", args...)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+e.host)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		return strings.TrimSpace(errb.String()), err
	}
	return strings.TrimSpace(out.String()), nil
}

func (e engine) must(args ...string) string {
	e.t.Helper()
	out, err := e.docker(args...)
	if err != nil {
		e.t.Fatalf("docker %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return out
}

func (e engine) id(ref string) string {
	out, err := e.docker("image", "inspect", "--format", "{{.Id}}", ref)
	if err != nil {
		return ""
	}
	return out
}

func (e engine) dangling() map[string]bool {
	set := map[string]bool{}
	for _, id := range strings.Fields(e.must("images", "-q", "--no-trunc", "-f", "dangling=true")) {
		set[id] = true
	}
	return set
}

// cleanup removes the images refs name (or are) when the test ends.
func (e engine) cleanup(refs ...*string) {
	e.t.Cleanup(func() {
		for _, r := range refs {
			if *r != "" {
				_, _ = e.docker("image", "rm", *r)
			}
		}
	})
}

func uniqueImage() string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return "nixpass-e2e-" + hex.EncodeToString(b)
}

// dockerNix is a default.nix building the offline image under name:tag
// printing message when run.
func dockerNix(name, tag, message string) string {
	return fmt.Sprintf("import ./image.nix { name = %q; tag = %q; message = %q; }\n", name, tag, message)
}

// TestDockerLoadRunsAndRebuildLeavesNoDangling: a project with
// docker_load builds, loads the tag its manifest names (as docker
// reports it), runs, and a rebuild under the same tag replaces the image
// without leaving the old one dangling.
func TestDockerLoadRunsAndRebuildLeavesNoDangling(t *testing.T) {
	needNix(t)
	e := engine{t, needEngine(t)}
	w := newWorld(t)
	w.env = append(w.env, "DOCKER_HOST="+e.host)
	name := uniqueImage()
	tag := name + ":v1"
	var first, second string
	e.cleanup(&tag, &first, &second)
	dir := w.project("app", dockerNix(name, "v1", "hello one"))
	if o := w.run("add", dir, "--docker-load"); o.code != 0 {
		t.Fatalf("add: %v", o)
	}
	o := w.run("build", dir, "--json")
	if o.code != 0 || o.res.Status != builder.StatusSucceeded || o.res.Loaded != tag || o.res.Image != tag {
		t.Fatalf("build: %v", o)
	}
	if !strings.Contains(o.res.Message, "loaded "+tag+" into Docker") {
		t.Errorf("message %q does not say what was loaded", o.res.Message)
	}
	first = e.id(tag)
	if got := e.must("run", "--rm", "--network", "none", tag); got != "hello one" {
		t.Errorf("docker run printed %q, want hello one", got)
	}

	before := e.dangling()
	w.setNix(dir, dockerNix(name, "v1", "hello two"))
	o = w.run("build", dir, "--json")
	if o.code != 0 || o.res.UpToDate || o.res.Loaded != tag {
		t.Fatalf("rebuild: %v", o)
	}
	second = e.id(tag)
	if second == "" || second == first {
		t.Fatalf("%s is %q after the rebuild, was %q", tag, second, first)
	}
	if got := e.must("run", "--rm", "--network", "none", tag); got != "hello two" {
		t.Errorf("docker run after the rebuild printed %q, want hello two", got)
	}
	if e.id(first) != "" {
		t.Errorf("the previous image %s is still in Docker", first)
	}
	for id := range e.dangling() {
		if !before[id] {
			t.Errorf("the rebuild left a dangling image %s", id)
		}
	}
	if !bytes.Contains(readFile(t, o.res.Log), []byte("removed the previous image "+first)) {
		t.Errorf("the build log does not say the previous image was removed")
	}
}

// TestDockerEngineDown: with the engine unreachable the build fails with
// kind docker and exit 10, keeps the new image file and records it as
// good, so the next build with the engine back is up to date and loads.
func TestDockerEngineDown(t *testing.T) {
	needNix(t)
	e := engine{t, needEngine(t)}
	w := newWorld(t)
	up := append(w.env, "DOCKER_HOST="+e.host)
	name := uniqueImage()
	tag := name + ":v"
	var id string
	e.cleanup(&tag, &id)
	dir := w.project("app", dockerNix(name, "v", "old"))
	w.env = up
	if o := w.run("add", dir, "--docker-load"); o.code != 0 {
		t.Fatalf("add: %v", o)
	}
	if o := w.run("build", dir, "--json"); o.code != 0 {
		t.Fatalf("first build: %v", o)
	}
	old := readFile(t, filepath.Join(dir, "result.tar.gz"))

	w.setNix(dir, dockerNix(name, "v", "new"))
	dead := "unix://" + filepath.Join(t.TempDir(), "docker.sock")
	w.env = append(append([]string{}, up...), "DOCKER_HOST="+dead)
	o := w.run("build", dir, "--json")
	if o.code != 10 || o.res.Status != builder.StatusFailed || o.res.Kind != builder.KindDocker {
		t.Fatalf("engine down: got %v", o)
	}
	for _, want := range []string{"built result.tar.gz", "but not loaded into Docker", "Cannot connect to the Docker daemon at " + dead} {
		if !strings.Contains(o.res.Message, want) {
			t.Errorf("message %q lacks %q", o.res.Message, want)
		}
	}
	for _, want := range []string{"sudo systemctl start docker", "DOCKER_HOST=" + dead, "docker load -i " + filepath.Join(dir, "result.tar.gz")} {
		if !strings.Contains(o.res.Hint, want) {
			t.Errorf("hint %q lacks %q", o.res.Hint, want)
		}
	}
	img := readFile(t, filepath.Join(dir, "result.tar.gz"))
	if bytes.Equal(img, old) || int64(len(img)) != o.res.Bytes || o.res.StorePath == "" {
		t.Errorf("the image file is not the new build (%d bytes, result says %d)", len(img), o.res.Bytes)
	}
	noTemps(t, dir)
	o2 := w.run("build", dir)
	if o2.code != 10 || !strings.Contains(o2.stderr, "but not loaded into Docker") || !strings.Contains(o2.stderr, "→ docker was pointed at DOCKER_HOST="+dead) {
		t.Errorf("the CLI does not say it: %v", o2)
	}

	w.env = up
	o = w.run("build", dir, "--json")
	if o.code != 0 || !o.res.UpToDate || o.res.Loaded != tag {
		t.Fatalf("engine back: want up to date and loaded, got %v", o)
	}
	id = e.id(tag)
	if got := e.must("run", "--rm", "--network", "none", tag); got != "new" {
		t.Errorf("docker run printed %q, want the new image's new", got)
	}
}

// TestDockerConfigCommandAndTimeout: [docker] command and load_timeout
// are used: a docker that hangs fails the build after load_timeout with
// kind docker, long before the build timeout.
func TestDockerConfigCommandAndTimeout(t *testing.T) {
	needNix(t)
	w := newWorld(t)
	fake, err := filepath.Abs(filepath.Join("..", "builder", "docker", "testdata", "fake-docker", "docker"))
	if err != nil {
		t.Fatal(err)
	}
	w.writeConfig(fmt.Sprintf("[docker]\ncommand = %q\nload_timeout = \"2s\"\n", fake))
	w.env = append(w.env, "FAKE_DOCKER=hang")
	dir := w.project("app", imageNix("e2e-docker-hang", ""))
	if o := w.run("add", dir, "--docker-load"); o.code != 0 {
		t.Fatalf("add: %v", o)
	}
	start := time.Now()
	o := w.run("build", dir, "--json")
	if o.code != 10 || o.res.Kind != builder.KindDocker || !strings.Contains(o.res.Message, "within 2s") || !strings.Contains(o.res.Hint, "load_timeout") {
		t.Fatalf("hung docker: %v", o)
	}
	if took := time.Since(start); took > 90*time.Second {
		t.Errorf("the build took %s with a 2s load timeout", took)
	}
	if _, err := os.Stat(filepath.Join(dir, "result.tar.gz")); err != nil {
		t.Errorf("the image file is gone: %v", err)
	}
}
