package registry

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"nixpass/builder/registry/registrytest"
)

// nixImage builds the offline example with real Nix for system and
// returns the image file (gzipped docker-archive in the store).
func nixImage(t testing.TB, system, tag string) string {
	t.Helper()
	if _, err := exec.LookPath("nix-build"); err != nil {
		t.Skip("nix-build not installed (.ci/setup installs nix-bin)")
	}
	args := []string{"../../examples/offline", "--no-out-link", "--argstr", "tag", tag}
	if system == "aarch64-linux" {
		bb := "/var/lib/nixpass-ci/busybox-arm64/bin/busybox"
		if _, err := os.Stat(bb); err != nil {
			t.Skip("no arm64 busybox (.ci/setup downloads it)")
		}
		args = append(args, "--option", "system", system, "--option", "extra-platforms", system, "--arg", "busybox", bb)
	}
	out, err := exec.Command("nix-build", args...).Output()
	if err != nil {
		t.Fatalf("nix-build %v: %v", args, err)
	}
	return strings.TrimSpace(string(out))
}

// dockerConfig writes a DOCKER_CONFIG folder holding auth for host.
func dockerConfig(t testing.TB, host, user, password string) {
	dir := t.TempDir()
	b, _ := json.Marshal(map[string]any{"auths": map[string]any{host: map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte(user + ":" + password))}}})
	if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_CONFIG", dir)
}

func TestRealRegistryNixImagesAndManifestList(t *testing.T) {
	reg := registrytest.Start(t, "", "")
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	amd := nixImage(t, "x86_64-linux", "v1")
	arm := nixImage(t, "aarch64-linux", "v1")
	state := t.TempDir()

	res, err := Push(context.Background(), pushOpts(t, state, reg.Host+"/nix/offline", amd))
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Get(mustRef(t, reg.Host+"/nix/offline:v1"))
	if err != nil {
		t.Fatalf("the registry does not serve the tag: %v", err)
	}
	if desc.Digest.String() != res.Digest {
		t.Errorf("registry serves %s, result says %s", desc.Digest, res.Digest)
	}
	if n := reg.Uploads(t, "nix/offline"); n != 2 {
		t.Errorf("registry completed %d blob uploads, want 2 (the layer and the config)", n)
	}
	if left, _ := os.ReadDir(filepath.Join(state, "registry", "tmp")); len(left) != 0 {
		t.Errorf("the decompressed copy of the gzipped image is still there: %v", left)
	}
	// Again, unchanged: nothing uploaded.
	if _, err := Push(context.Background(), pushOpts(t, state, reg.Host+"/nix/offline", amd)); err != nil {
		t.Fatal(err)
	}
	if n := reg.Uploads(t, "nix/offline"); n != 2 {
		t.Errorf("after an unchanged re-push the registry completed %d blob uploads, want still 2", n)
	}
	// Another repository of the same registry mounts the blobs.
	if _, err := Push(context.Background(), pushOpts(t, state, reg.Host+"/nix/copy", amd)); err != nil {
		t.Fatal(err)
	}
	if up, mo := reg.Uploads(t, "nix/copy"), reg.Mounts(t, "nix/copy"); mo != 1 || up != 1 {
		t.Errorf("push to a second repository: %d uploads, %d mounts; want the layer mounted (1) and the config uploaded (1)", up, mo)
	}

	res, err = Push(context.Background(), pushOpts(t, state, reg.Host+"/nix/multi:both", amd, arm))
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(mustRef(t, reg.Host+"/nix/multi:both"))
	if err != nil {
		t.Fatal(err)
	}
	im, _ := idx.IndexManifest()
	d, _ := idx.Digest()
	if im.MediaType != types.DockerManifestList || d.String() != res.Digest || len(im.Manifests) != 2 {
		t.Fatalf("registry serves %s %s with %d manifests, want a manifest list %s of 2", im.MediaType, d, len(im.Manifests), res.Digest)
	}
	for i, want := range []string{"linux/amd64", "linux/arm64"} {
		m := im.Manifests[i]
		if m.Platform.String() != want {
			t.Errorf("manifest %d is %s, want %s", i, m.Platform, want)
		}
		img, err := idx.Image(m.Digest)
		if err != nil {
			t.Fatal(err)
		}
		cf, _ := img.ConfigFile()
		if cf.OS+"/"+cf.Architecture != want {
			t.Errorf("manifest %d's config is %s/%s, want %s", i, cf.OS, cf.Architecture, want)
		}
	}
}

func TestRealRegistryBasicAuth(t *testing.T) {
	reg := registrytest.Start(t, "ci", "s3cret-pass")
	file := testImage{tag: "app:v1", layers: [][]byte{layerTar(t, "a", 1<<16)}}.write(t, t.TempDir(), "img.tar")
	ref := reg.Host + "/auth/app"

	cases := []struct {
		name     string
		login    func(t *testing.T)
		wantKind string
	}{
		{"no login", func(t *testing.T) { t.Setenv("DOCKER_CONFIG", t.TempDir()) }, "push"},
		{"wrong password", func(t *testing.T) { dockerConfig(t, reg.Host, "ci", "wrong") }, "push"},
		{"credential helper", func(t *testing.T) { credHelper(t, reg.Host, "ci", "s3cret-pass") }, ""},
		{"config.json auth", func(t *testing.T) { dockerConfig(t, reg.Host, "ci", "s3cret-pass") }, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.login(t)
			var log bytes.Buffer
			o := pushOpts(t, t.TempDir(), ref, file)
			o.Log = &log
			start := time.Now()
			res, err := Push(context.Background(), o)
			if tc.wantKind == "" {
				if err != nil {
					t.Fatalf("push: %v", err)
				}
				if _, err := os.Stat(filepath.Join(reg.Storage, "docker/registry/v2/repositories/auth/app/_manifests/tags/v1")); err != nil {
					t.Errorf("the registry's storage has no tag v1: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "not logged in") || !strings.Contains(err.Error(), "docker login "+reg.Host) {
				t.Fatalf("err = %v; want not logged in with docker login %s", err, reg.Host)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("a missing login took %s to fail", d)
			}
			if res.LayersUploaded != 0 || reg.Uploads(t, "auth/app") != 0 {
				t.Errorf("something was uploaded without a login")
			}
			if all := log.String() + err.Error() + res.Error; strings.Contains(all, "s3cret") || strings.Contains(all, "ci:wrong") || strings.Contains(all, "Y2k6") {
				t.Errorf("a password leaked into the log or message")
			}
		})
	}
}

// credHelper sets up a DOCKER_CONFIG whose credsStore is the fake
// testdata/docker-credential-nixpasstest, found on PATH like
// docker-credential-osxkeychain; it reads the credentials from a file.
func credHelper(t *testing.T, host, user, password string) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"credsStore":"nixpasstest"}`), 0o600)
	creds := filepath.Join(dir, "creds.json")
	b, _ := json.Marshal(map[string]string{"ServerURL": host, "Username": user, "Secret": password})
	os.WriteFile(creds, b, 0o600)
	t.Setenv("DOCKER_CONFIG", dir)
	t.Setenv("NIXPASS_TEST_CREDS", creds)
	td, _ := filepath.Abs("testdata")
	t.Setenv("PATH", td+string(os.PathListSeparator)+os.Getenv("PATH"))
}
