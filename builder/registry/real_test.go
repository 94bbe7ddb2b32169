package registry

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// realRegistry is Debian's docker-registry (the CNCF distribution
// registry) on a free loopback port with its own storage folder.
type realRegistry struct {
	host    string // 127.0.0.1:PORT
	storage string
	log     string // its access log
}

// startRegistry starts docker-registry; with user set, behind htpasswd
// basic auth for user and password (the password goes to htpasswd on
// stdin, never on a command line).
func startRegistry(t testing.TB, user, password string) *realRegistry {
	t.Helper()
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		t.Skip("docker-registry not installed (apt-get install docker-registry; .ci/setup installs it)")
	}
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &realRegistry{host: ln.Addr().String(), storage: filepath.Join(dir, "storage"), log: filepath.Join(dir, "registry.log")}
	ln.Close()
	auth := ""
	if user != "" {
		cmd := exec.Command("htpasswd", "-B", "-i", "-n", user)
		cmd.Stdin = strings.NewReader(password)
		out, err := cmd.Output()
		if err != nil {
			t.Skipf("htpasswd (apache2-utils) failed: %v", err)
		}
		pw := filepath.Join(dir, "htpasswd")
		if err := os.WriteFile(pw, out, 0o600); err != nil {
			t.Fatal(err)
		}
		auth = fmt.Sprintf("auth:\n  htpasswd:\n    realm: nixpass-test\n    path: %s\n", pw)
	}
	cfg := fmt.Sprintf(`version: 0.1
log:
  level: warn
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
%s`, r.storage, r.host, auth)
	cfgFile := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(r.log)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", cfgFile)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); logf.Close() })
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get("http://" + r.host + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 || resp.StatusCode == 401 {
				return r
			}
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(r.log)
			t.Fatalf("docker-registry did not answer on %s: %v\n%s", r.host, err, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// uploads counts the blob uploads the registry completed for repo, from
// its access log: each ends with a PUT …/blobs/uploads/…?digest=.
func (r *realRegistry) uploads(t testing.TB, repo string) int {
	b, err := os.ReadFile(r.log)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`"PUT /v2/` + regexp.QuoteMeta(repo) + `/blobs/uploads/[^ ]*digest=[^ ]* HTTP/1.1" 201`)
	return len(re.FindAll(b, -1))
}

// mounts counts cross-repository mounts into repo the registry did.
func (r *realRegistry) mounts(t testing.TB, repo string) int {
	b, _ := os.ReadFile(r.log)
	re := regexp.MustCompile(`"POST /v2/` + regexp.QuoteMeta(repo) + `/blobs/uploads/\?[^ ]*mount=[^ ]* HTTP/1.1" 201`)
	return len(re.FindAll(b, -1))
}

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
	reg := startRegistry(t, "", "")
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	amd := nixImage(t, "x86_64-linux", "v1")
	arm := nixImage(t, "aarch64-linux", "v1")
	state := t.TempDir()

	res, err := Push(context.Background(), pushOpts(t, state, reg.host+"/nix/offline", amd))
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Get(mustRef(t, reg.host+"/nix/offline:v1"))
	if err != nil {
		t.Fatalf("the registry does not serve the tag: %v", err)
	}
	if desc.Digest.String() != res.Digest {
		t.Errorf("registry serves %s, result says %s", desc.Digest, res.Digest)
	}
	if n := reg.uploads(t, "nix/offline"); n != 2 {
		t.Errorf("registry completed %d blob uploads, want 2 (the layer and the config)", n)
	}
	// Again, unchanged: nothing uploaded.
	if _, err := Push(context.Background(), pushOpts(t, state, reg.host+"/nix/offline", amd)); err != nil {
		t.Fatal(err)
	}
	if n := reg.uploads(t, "nix/offline"); n != 2 {
		t.Errorf("after an unchanged re-push the registry completed %d blob uploads, want still 2", n)
	}
	// Another repository of the same registry mounts the blobs.
	if _, err := Push(context.Background(), pushOpts(t, state, reg.host+"/nix/copy", amd)); err != nil {
		t.Fatal(err)
	}
	if up, mo := reg.uploads(t, "nix/copy"), reg.mounts(t, "nix/copy"); mo != 1 || up != 1 {
		t.Errorf("push to a second repository: %d uploads, %d mounts; want the layer mounted (1) and the config uploaded (1)", up, mo)
	}

	res, err = Push(context.Background(), pushOpts(t, state, reg.host+"/nix/multi:both", amd, arm))
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(mustRef(t, reg.host+"/nix/multi:both"))
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
	reg := startRegistry(t, "ci", "s3cret-pass")
	file := testImage{tag: "app:v1", layers: [][]byte{layerTar(t, "a", 1<<16)}}.write(t, t.TempDir(), "img.tar")
	ref := reg.host + "/auth/app"

	cases := []struct {
		name     string
		login    func(t *testing.T)
		wantKind string
	}{
		{"no login", func(t *testing.T) { t.Setenv("DOCKER_CONFIG", t.TempDir()) }, "push"},
		{"wrong password", func(t *testing.T) { dockerConfig(t, reg.host, "ci", "wrong") }, "push"},
		{"credential helper", func(t *testing.T) { credHelper(t, reg.host, "ci", "s3cret-pass") }, ""},
		{"config.json auth", func(t *testing.T) { dockerConfig(t, reg.host, "ci", "s3cret-pass") }, ""},
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
				if _, err := os.Stat(filepath.Join(reg.storage, "docker/registry/v2/repositories/auth/app/_manifests/tags/v1")); err != nil {
					t.Errorf("the registry's storage has no tag v1: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "not logged in") || !strings.Contains(err.Error(), "docker login "+reg.host) {
				t.Fatalf("err = %v; want not logged in with docker login %s", err, reg.host)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("a missing login took %s to fail", d)
			}
			if res.LayersUploaded != 0 || reg.uploads(t, "auth/app") != 0 {
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
