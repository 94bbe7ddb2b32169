package docker

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"nixpass/builder"
	"nixpass/builder/docker/dockertest"
	"nixpass/builder/shq"
)

func TestDockerExitCode(t *testing.T) {
	if got := builder.KindDocker.ExitCode(); got != 10 {
		t.Errorf("KindDocker.ExitCode() = %d, want 10", got)
	}
	if got := builder.KindDocker.Title(); got != "built, not loaded into Docker" {
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

var fakeDocker = dockertest.Fake

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
			d := &CLI{Command: fakeDocker(t)}
			_, err := d.Load(context.Background(), img, "a:b")
			var be *builder.Error
			if !errors.As(err, &be) || be.Kind != builder.KindDocker {
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
	d := &CLI{Command: filepath.Join(t.TempDir(), "docker")}
	_, err := d.Load(context.Background(), "/x.tar.gz", "")
	var be *builder.Error
	if !errors.As(err, &be) || be.Kind != builder.KindDocker || !strings.Contains(be.Message, "not installed") || !strings.Contains(be.Hint, dockerMissingHint) {
		t.Fatalf("err = %#v", err)
	}
}

// TestDockerLoadTimeout: an engine that never answers fails the load
// after load_timeout, not at the build timeout, and stops the CLI.
func TestDockerLoadTimeout(t *testing.T) {
	t.Setenv("FAKE_DOCKER", "hang")
	log := filepath.Join(t.TempDir(), "calls")
	t.Setenv("FAKE_DOCKER_LOG", log)
	d := &CLI{Command: fakeDocker(t), LoadTimeout: 300 * time.Millisecond}
	start := time.Now()
	_, err := d.Load(context.Background(), "/x.tar.gz", "a:b")
	took := time.Since(start)
	var be *builder.Error
	if !errors.As(err, &be) || be.Kind != builder.KindDocker || !strings.Contains(be.Message, "within 300ms") || !strings.Contains(be.Hint, "load_timeout") {
		t.Fatalf("err = %v", err)
	}
	// The grace after SIGTERM is one second; sleep dies at once.
	if took > 3*time.Second {
		t.Errorf("a hung docker held the load for %s", took)
	}
}
