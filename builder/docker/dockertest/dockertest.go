// Package dockertest holds what tests of Docker loading share: the test
// engine (.ci/setup's dockerd), image archives made on the fly, and the
// fake docker CLI of docker/testdata. It may import tools and
// internal/citest; only tests import it.
package dockertest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"nixpass/builder/tools"
	"nixpass/internal/citest"
)

// Fake is the path of the test docker CLI (docker/testdata/fake-docker),
// which prints what FAKE_DOCKER says.
func Fake(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	p, err := filepath.Abs(filepath.Join(filepath.Dir(file), "..", "testdata", "fake-docker", "docker"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// NeedEngine points DOCKER_HOST at the test engine (citest.DockerHost).
func NeedEngine(t *testing.T) string {
	t.Helper()
	host := citest.DockerHost(t)
	t.Setenv("DOCKER_HOST", host)
	t.Setenv("DOCKER_CONTEXT", "")
	os.Unsetenv("DOCKER_CONTEXT")
	engineHost = host
	return host
}

// engineHost is the test engine NeedEngine found.
var engineHost string

// CLI runs the real docker CLI on the test engine, whatever the
// test did to DOCKER_HOST, for a test's own checks and cleanup.
func CLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	bin, err := tools.Default().Find("docker")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+engineHost)
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// UniqueName is an image name no other test (or helper) uses.
func UniqueName(t *testing.T) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "nixpass-test-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")) + "-" + hex.EncodeToString(b)
}

// Archive writes a minimal docker-archive holding one file with
// content, tagged with tags, gzipped, and returns the image ID docker
// will give it (the digest of its config).
func Archive(t *testing.T, path, content string, tags ...string) string {
	t.Helper()
	return ArchiveFor(t, path, content, "amd64", tags...)
}

// ArchiveFor is Archive for an image of linux/arch (GOARCH spelling).
func ArchiveFor(t *testing.T, path, content, arch string, tags ...string) string {
	t.Helper()
	var layer bytes.Buffer
	lw := tar.NewWriter(&layer)
	_ = lw.WriteHeader(&tar.Header{Name: "msg", Mode: 0o644, Size: int64(len(content)), ModTime: time.Unix(0, 0)})
	_, _ = lw.Write([]byte(content))
	_ = lw.Close()
	layerSum := sha256.Sum256(layer.Bytes())
	config, _ := json.Marshal(map[string]any{
		"architecture": arch, "os": "linux",
		"config": map[string]any{"Cmd": []string{"/msg"}},
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{"sha256:" + hex.EncodeToString(layerSum[:])}},
	})
	configSum := sha256.Sum256(config)
	configName := hex.EncodeToString(configSum[:]) + ".json"
	layerName := hex.EncodeToString(layerSum[:]) + "/layer.tar"
	manifest, _ := json.Marshal([]map[string]any{{"Config": configName, "RepoTags": tags, "Layers": []string{layerName}}})

	var out bytes.Buffer
	gz := gzip.NewWriter(&out)
	tw := tar.NewWriter(gz)
	for _, f := range []struct {
		name string
		data []byte
	}{{"manifest.json", manifest}, {configName, config}, {layerName, layer.Bytes()}} {
		_ = tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), ModTime: time.Unix(0, 0)})
		_, _ = tw.Write(f.data)
	}
	_ = tw.Close()
	_ = gz.Close()
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return "sha256:" + hex.EncodeToString(configSum[:])
}

// RemoveImages removes what a test loaded, whatever state it ended in.
func RemoveImages(t *testing.T, refs ...string) {
	t.Cleanup(func() {
		for _, r := range refs {
			_, _ = CLI(t, "image", "rm", r)
		}
	})
}

// ImageExists reports whether the test engine holds ref.
func ImageExists(t *testing.T, ref string) bool {
	_, err := CLI(t, "image", "inspect", "--format", "{{.Id}}", ref)
	return err == nil
}
