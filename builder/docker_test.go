package builder

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"nixpass/builder/shq"
)

func TestDockerExitCode(t *testing.T) {
	if got := KindDocker.ExitCode(); got != 10 {
		t.Errorf("KindDocker.ExitCode() = %d, want 10", got)
	}
	if got := KindDocker.Title(); got != "built, not loaded into Docker" {
		t.Errorf("KindDocker.Title() = %q", got)
	}
}

// TestDockerRules runs every rule against the texts real docker clients
// and engines printed (testdata/docker/README.md says how each was made).
func TestDockerRules(t *testing.T) {
	tests := []struct {
		file  string
		cause dockerCause
	}{
		{"cli28-daemon-down.txt", causeDown},
		{"cli28-daemon-down-tcp.txt", causeDown},
		{"cli20-daemon-down.txt", causeDown},
		{"cli29-daemon-down.txt", causeDown},
		{"cli28-permission.txt", causePermission},
		{"cli20-permission.txt", causePermission},
		{"cli28-context.txt", causeContext},
		{"cli20-context.txt", causeContext},
		{"engine20-not-a-tar.txt", causeBadImage},
		{"engine20-bad-gzip.txt", causeBadImage},
		{"engine20-no-manifest.txt", causeBadImage},
		// Also "Error processing tar file": the disk rule must come first.
		{"engine20-disk-full.txt", causeDiskFull},
		// "error during connect" is about the file here, not the engine:
		// calling it a stopped engine would be a wrong diagnosis.
		{"cli20-read-directory.txt", causeOther},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", "docker", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if got := dockerCauseOf(string(b)); got != tt.cause {
				t.Errorf("cause %d, want %d", got, tt.cause)
			}
		})
	}
}

func TestParseLoadOutput(t *testing.T) {
	tests := []struct {
		file             string
		loaded, replaced string
	}{
		{"load-new.stdout", "nixpass-probe:t1", ""},
		{"load-replaced.stdout", "nixpass-probe:t1", "sha256:5da3377a43311a622408b97cc91d61d3354757ad8709133e875b4e5dfd3da663"},
		{"load-untagged.stdout", "sha256:5da3377a43311a622408b97cc91d61d3354757ad8709133e875b4e5dfd3da663", ""},
	}
	for _, tt := range tests {
		b, err := os.ReadFile(filepath.Join("testdata", "docker", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		if got := parseLoadOutput(string(b)); got.loaded != tt.loaded || got.replaced != tt.replaced {
			t.Errorf("%s: got %+v, want loaded %q replaced %q", tt.file, got, tt.loaded, tt.replaced)
		}
	}
}

// fakeDocker is the path of the test docker CLI (testdata/fake-docker).
func fakeDocker(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("testdata", "fake-docker", "docker"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDockerLoadErrors checks the message (docker's own words) and the
// hint of each failure as the Docker type reports it, docker's text
// coming from a fake CLI that prints a real one.
func TestDockerLoadErrors(t *testing.T) {
	tests := []struct {
		text    string
		message string
		hint    []string
	}{
		{"cli28-daemon-down.txt", "docker load: Cannot connect to the Docker daemon at unix:///tmp/dk/dead.sock", []string{dockerDownHint, "DOCKER_HOST=unix:///nowhere"}},
		{"cli28-permission.txt", "permission denied while trying to connect", []string{dockerPermissionHint()}},
		{"cli20-context.txt", `context "nope" does not exist`, []string{"context ls"}},
		{"engine20-not-a-tar.txt", "Error processing tar file", []string{"buildLayeredImage"}},
		{"cli20-read-directory.txt", "is a directory", []string{"info"}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			t.Setenv("FAKE_DOCKER", "fail:"+filepath.Join("testdata", "docker", tt.text))
			t.Setenv("DOCKER_HOST", "unix:///nowhere")
			img := filepath.Join(t.TempDir(), "it's an \"image\" $(x).tar.gz")
			d := &Docker{Command: fakeDocker(t)}
			_, err := d.Load(context.Background(), img, "a:b")
			var be *Error
			if !errors.As(err, &be) || be.Kind != KindDocker {
				t.Fatalf("err = %v, want a KindDocker *Error", err)
			}
			if !strings.Contains(be.Message, tt.message) {
				t.Errorf("message %q lacks %q", be.Message, tt.message)
			}
			for _, h := range append(tt.hint, "load the image yourself: "+shq.Join(fakeDocker(t), "load", "-i", img)) {
				if !strings.Contains(be.Hint, h) {
					t.Errorf("hint %q lacks %q", be.Hint, h)
				}
			}
		})
	}
}

// TestDockerLoadNotInstalled: a docker that is nowhere names where it was
// looked for and how to get one on this OS.
func TestDockerLoadNotInstalled(t *testing.T) {
	d := &Docker{Command: filepath.Join(t.TempDir(), "docker")}
	_, err := d.Load(context.Background(), "/x.tar.gz", "")
	var be *Error
	if !errors.As(err, &be) || be.Kind != KindDocker || !strings.Contains(be.Message, "not installed") || !strings.Contains(be.Hint, dockerMissingHint) {
		t.Fatalf("err = %#v", err)
	}
}

// TestDockerLoadTimeout: an engine that never answers fails the load
// after load_timeout, not at the build timeout, and stops the CLI.
func TestDockerLoadTimeout(t *testing.T) {
	t.Setenv("FAKE_DOCKER", "hang")
	log := filepath.Join(t.TempDir(), "calls")
	t.Setenv("FAKE_DOCKER_LOG", log)
	d := &Docker{Command: fakeDocker(t), LoadTimeout: 300 * time.Millisecond}
	start := time.Now()
	_, err := d.Load(context.Background(), "/x.tar.gz", "a:b")
	took := time.Since(start)
	var be *Error
	if !errors.As(err, &be) || be.Kind != KindDocker || !strings.Contains(be.Message, "within 300ms") || !strings.Contains(be.Hint, "load_timeout") {
		t.Fatalf("err = %v", err)
	}
	// The grace after SIGTERM is one second; sleep dies at once.
	if took > 3*time.Second {
		t.Errorf("a hung docker held the load for %s", took)
	}
}

// TestBuildNotLoaded: through Builder.Build, a load that fails is a
// failed build of kind docker (exit 10) whose image is still recorded as
// the last good one, so the next build can be up to date.
func TestBuildNotLoaded(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(t.TempDir(), "image.tar")
	testArchive(t, src, "not loaded", "nixpass-test-not-loaded:1")
	image := readTestFile(t, src)
	t.Setenv("FAKE_DOCKER", "fail:"+filepath.Join("testdata", "docker", "cli28-daemon-down.txt"))
	store := &Store{StateDir: filepath.Join(dir, "state"), LogDir: filepath.Join(dir, "logs")}
	b := &Builder{Machine: &scriptMachine{stdout: "@nixpass store-path /nix/store/abc-image.tar.gz\n", image: image}, Store: store,
		Docker: &Docker{Command: fakeDocker(t)}}
	res := b.Build(context.Background(), Project{Dir: dir, File: "default.nix", Output: "result.tar.gz", DockerLoad: true})
	if res.Status != StatusFailed || res.Kind != KindDocker || res.Kind.ExitCode() != 10 {
		t.Fatalf("got %s %s: %+v", res.Status, res.Kind, res)
	}
	if !strings.HasPrefix(res.Message, "built result.tar.gz ("+HumanBytes(int64(len(image)))+"), but not loaded into Docker: Cannot connect to the Docker daemon") {
		t.Errorf("message %q", res.Message)
	}
	if res.StorePath != "/nix/store/abc-image.tar.gz" || res.Bytes != int64(len(image)) || res.Image != "nixpass-test-not-loaded:1" {
		t.Errorf("the built image is not described: %+v", res)
	}
	if g := store.intactGood(dir); g == nil || g.StorePath != res.StorePath {
		t.Errorf("last good = %+v, want the image just built", g)
	}
	log := string(readTestFile(t, res.Log))
	if !strings.Contains(log, "failed (docker)") {
		t.Errorf("log does not record the outcome:\n%s", log)
	}
}

func readTestFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
