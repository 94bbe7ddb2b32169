package core

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"nixpass/builder"
	"nixpass/builder/store"
)

// needMultiSystem fails the test when this host cannot build for both
// systems with real Nix: nix-build, a static busybox of each
// architecture (the arm64 one as .ci/setup extracts it), and the
// qemu-user binfmt handler for the other. It returns the Nix expression
// of the busybox for builtins.currentSystem.
func needMultiSystem(t *testing.T) string {
	t.Helper()
	fail := func(msg string) {
		if os.Getenv("NIXPASS_ALLOW_SKIP") == "1" {
			t.Skip(msg)
		}
		t.Fatal(msg)
	}
	if _, err := exec.LookPath("nix-build"); err != nil {
		fail("nix-build is not installed: apt-get install nix-bin")
	}
	native := "/usr/bin/busybox"
	if _, err := os.Stat(native); err != nil {
		native = "/bin/busybox"
	}
	arm := os.Getenv("NIXPASS_CI_BUSYBOX_ARM64")
	if arm == "" {
		arm = "/var/lib/nixpass-ci/busybox-arm64/bin/busybox"
	}
	if runtime.GOARCH != "amd64" {
		t.Skip("the multi-system test builds arm64 through emulation on an amd64 host")
	}
	for _, f := range []string{native, arm} {
		if _, err := os.Stat(f); err != nil {
			fail(fmt.Sprintf("no static busybox at %s: run sudo .ci/setup", f))
		}
	}
	if b, err := os.ReadFile("/proc/sys/fs/binfmt_misc/qemu-aarch64"); err != nil || !bytes.Contains(b, []byte("enabled")) {
		fail("no qemu-aarch64 binfmt handler: run sudo .ci/setup (apt-get install qemu-user-static binfmt-support)")
	}
	return fmt.Sprintf(`(if builtins.currentSystem == "aarch64-linux" then %s else %s)`, arm, native)
}

// TestSystemsRealNixPushIndex: a project with systems = [x86_64-linux,
// aarch64-linux] builds with real Nix twice in one request (the arm64
// image through qemu-user emulation), keeps the arm64 image in the state
// folder, and pushes a Docker manifest list to go-containerregistry's
// in-process registry: read back, it holds two manifests whose platforms
// and digests are the result's push.platforms. An unchanged rebuild
// sends the registry nothing; nixpass push sends both again.
func TestSystemsRealNixPushIndex(t *testing.T) {
	busybox := needMultiSystem(t)
	var requests atomic.Int64
	reg := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")

	root := t.TempDir()
	t.Setenv("NIXPASS_STATE_DIR", filepath.Join(root, "state"))
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	t.Setenv("NIX_CONFIG", "substituters =\n")
	dir := filepath.Join(root, "app")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"image.nix", "build-image.sh"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "examples", "offline", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A message of its own: the store never has these images yet, so
	// the arm64 builder really runs under emulation.
	msg := fmt.Sprintf("two systems %d", time.Now().UnixNano())
	nix := fmt.Sprintf("import ./image.nix { busybox = %s; tag = \"multi\"; message = %q; substitute = false; }\n", busybox, msg)
	if err := os.WriteFile(filepath.Join(dir, "default.nix"), []byte(nix), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(root, "config.toml")
	text := fmt.Sprintf("[builder]\nbackend = \"local\"\n\n[[project]]\npath = %q\nsystems = [\"x86_64-linux\", \"aarch64-linux\"]\npush = %q\n", dir, host+"/core/multi")
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p, ok := e.Config.Project(dir)
	if !ok {
		t.Fatal("the project is not in the config")
	}
	req := Request(*p)
	b := e.Builder(nil)
	ctx := context.Background()

	res := b.Build(ctx, req)
	if res.Kind != builder.KindOK || res.Platform != "linux/amd64" || res.Push == nil || len(res.Push.Platforms) != 2 {
		t.Fatalf("build: %s %q (%s), push %+v", res.Kind, res.Message, res.Hint, res.Push)
	}
	good := e.Store.LastGood(dir)
	arm, ok := good.Systems["aarch64-linux"]
	if !ok || arm.Platform != "linux/arm64" || !strings.HasPrefix(arm.Output, e.StateDir) || !arm.Intact() {
		t.Fatalf("the arm64 image is not kept in the state folder: %+v", good)
	}
	root64 := filepath.Join(e.Store.RootDir(), "")
	if links, _ := filepath.Glob(filepath.Join(root64, "*-aarch64-linux")); len(links) != 1 {
		t.Errorf("no garbage-collector root for the arm64 image in %s", root64)
	} else if target, err := os.Readlink(links[0]); err != nil || target != arm.StorePath {
		t.Errorf("the arm64 root points at %q (%v), want %s", target, err, arm.StorePath)
	}
	checkIndex(t, res.Push, map[string]bool{"linux/amd64": true, "linux/arm64": true})

	// The builder lock held elsewhere: an unchanged rebuild decides it is
	// up to date for both systems without it (the lock rule).
	held, err := store.LockWait(ctx, b.LockPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	before := requests.Load()
	noop, cancel := context.WithTimeout(ctx, 45*time.Second)
	res = b.Build(noop, req)
	cancel()
	held.Release()
	if res.Kind != builder.KindOK || !res.UpToDate || res.Push == nil || res.Push.LayersUploaded != 0 {
		t.Fatalf("unchanged rebuild: %s %q, push %+v", res.Kind, res.Message, res.Push)
	}
	if n := requests.Load() - before; n != 0 {
		t.Errorf("an unchanged rebuild sent the registry %d requests, want none", n)
	}

	pushed, err := b.PushImage(ctx, req, host+"/core/copy:x", nil)
	if err != nil || len(pushed.Platforms) != 2 {
		t.Fatalf("nixpass push: %v, %+v", err, pushed)
	}
	checkIndex(t, pushed, map[string]bool{"linux/amd64": true, "linux/arm64": true})
}

// checkIndex reads back what the registry serves for p.Ref: a Docker
// manifest list of digest p.Digest whose manifests are p.Platforms, one
// per platform in want.
func checkIndex(t *testing.T, p *builder.PushResult, want map[string]bool) {
	t.Helper()
	r, err := name.ParseReference(p.Ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Get(r)
	if err != nil {
		t.Fatal(err)
	}
	if desc.MediaType != types.DockerManifestList || desc.Digest.String() != p.Digest {
		t.Fatalf("the registry serves %s %s for %s, want a Docker manifest list %s", desc.MediaType, desc.Digest, p.Ref, p.Digest)
	}
	idx, err := desc.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Manifests) != len(want) || len(p.Platforms) != len(want) {
		t.Fatalf("the list holds %d manifests, push.platforms %d; want %d", len(m.Manifests), len(p.Platforms), len(want))
	}
	for i, d := range m.Manifests {
		pl := d.Platform.OS + "/" + d.Platform.Architecture
		if !want[pl] || p.Platforms[i].Platform != pl || p.Platforms[i].Digest != d.Digest.String() {
			t.Errorf("manifest %d: %s %s; push.platforms[%d] = %+v", i, pl, d.Digest, i, p.Platforms[i])
		}
		img, err := remote.Image(r.Context().Digest(d.Digest.String()))
		if err != nil {
			t.Fatal(err)
		}
		if cf, err := img.ConfigFile(); err != nil || cf.OS+"/"+cf.Architecture != pl {
			t.Errorf("manifest %d's image config says %s/%s (%v), want %s", i, cf.OS, cf.Architecture, err, pl)
		}
	}
}
