package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"nixpass/builder"
	"nixpass/builder/multipass/multipasstest"
	"nixpass/builder/registry/registrytest"
)

// TestSystemsPushOneTag: `add --system` twice makes systems = [...]; one
// `build` builds with real Nix for x86_64-linux and, through qemu-user
// emulation, aarch64-linux, keeps the project's file for the builder's
// own, and pushes one tag to the real registry: a Docker manifest list
// whose two manifests carry their platforms, with the digests the
// result's push.platforms names. History records them; an unchanged
// rebuild sends the registry nothing; `nixpass push` sends both again.
func TestSystemsPushOneTag(t *testing.T) {
	needNix(t)
	if runtime.GOARCH != "amd64" {
		t.Skip("builds arm64 through emulation on an amd64 host")
	}
	arm := arm64Busybox(t)
	reg := registrytest.Start(t, "", "")
	w := newWorld(t)
	w.env = append(w.env, "DOCKER_CONFIG="+t.TempDir())
	native := nativeBusybox()
	// A message of its own, so the arm64 builder really runs.
	msg := fmt.Sprintf("e2e two systems %d", time.Now().UnixNano())
	dir := w.project("multi", fmt.Sprintf(`import ./image.nix { busybox = if builtins.currentSystem == "aarch64-linux" then %s else %s; tag = "two"; message = %q; }`+"\n", arm, native, msg))
	if o := w.run("add", dir, "--system", "x86_64-linux", "--system", "aarch64-linux", "--push", reg.Host+"/e2e/multi", "--no-watch"); o.code != 0 {
		t.Fatalf("add: %v", o)
	}
	o := w.run("build", dir, "--json")
	p := o.res.Push
	if o.code != 0 || p == nil || p.Ref != reg.Host+"/e2e/multi:two" || len(p.Platforms) != 2 {
		t.Fatalf("build: want exit 0 and a push of two platforms; got %v", o)
	}
	if !strings.Contains(o.res.Message, "aarch64-linux: built (") || len(o.res.Attempts) != 2 || o.res.Attempts[1].System != "aarch64-linux" {
		t.Errorf("the result does not say the arm64 image was built: %q, attempts %+v", o.res.Message, o.res.Attempts)
	}
	if a := readArchive(t, filepath.Join(dir, "result.tar.gz")); a.config.Architecture != "amd64" {
		t.Errorf("the project's file is for %s, want the builder's own amd64", a.config.Architecture)
	}
	readIndex(t, p)

	before := registryRequests(t, reg, "e2e/multi")
	o = w.run("build", dir, "--json")
	if o.code != 0 || !o.res.UpToDate || o.res.Push == nil || o.res.Push.Digest != p.Digest || len(o.res.Push.Platforms) != 2 {
		t.Fatalf("unchanged rebuild: want up to date with the same push; got %v", o)
	}
	if after := registryRequests(t, reg, "e2e/multi"); after != before {
		t.Errorf("an unchanged rebuild sent the registry %d requests, want none", after-before)
	}
	o = w.run("history", dir, "--json")
	var h struct {
		Builds []struct {
			Push *builder.PushResult `json:"push"`
		} `json:"builds"`
	}
	if err := json.Unmarshal([]byte(o.stdout), &h); err != nil || len(h.Builds) != 2 {
		t.Fatalf("history: %v\n%v", err, o.stdout)
	}
	for i, b := range h.Builds {
		if b.Push == nil || len(b.Push.Platforms) != 2 || b.Push.Platforms[1].Digest != p.Platforms[1].Digest {
			t.Errorf("history's build %d does not record push.platforms: %+v", i, b.Push)
		}
	}

	o = w.run("push", dir, "--to", reg.Host+"/e2e/again:two", "--json")
	pp := parsePush(t, o)
	if o.code != 0 || pp.Push == nil || len(pp.Push.Platforms) != 2 || pp.Push.LayersUploaded != 0 {
		t.Fatalf("push of both images (their layers are in the registry): %v", o)
	}
	readIndex(t, pp.Push)
	o = w.run("push", dir)
	if o.code != 0 || !strings.Contains(o.stdout, "  linux/arm64 "+p.Platforms[1].Digest) {
		t.Errorf("push's text does not list the platforms: %v", o)
	}
}

// readIndex reads back the manifest list p says it pushed: the registry
// serves it under p.Ref with p.Digest, and its manifests are
// p.Platforms, linux/amd64 then linux/arm64, each image's config of its
// platform.
func readIndex(t *testing.T, p *builder.PushResult) {
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
		t.Fatalf("the registry serves %s %s, want a Docker manifest list %s", desc.MediaType, desc.Digest, p.Digest)
	}
	idx, err := desc.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"linux/amd64", "linux/arm64"}
	if len(m.Manifests) != 2 {
		t.Fatalf("the manifest list holds %d manifests, want 2", len(m.Manifests))
	}
	for i, d := range m.Manifests {
		pl := d.Platform.OS + "/" + d.Platform.Architecture
		if pl != want[i] || p.Platforms[i].Platform != pl || p.Platforms[i].Digest != d.Digest.String() {
			t.Errorf("manifest %d is %s %s; push.platforms[%d] = %+v", i, pl, d.Digest, i, p.Platforms[i])
		}
		img, err := remote.Image(r.Context().Digest(d.Digest.String()))
		if err != nil {
			t.Fatal(err)
		}
		if cf, err := img.ConfigFile(); err != nil || cf.OS+"/"+cf.Architecture != pl {
			t.Errorf("manifest %d's config: %+v (%v), want %s", i, cf, err, pl)
		}
	}
}

// TestSystemsInTheVM: the same two-system build on the VM backend,
// through the fake multipass (whose exec runs here): the arm64 image
// reaches the host's state folder from the temporary file the script
// writes in the mounted project folder. A warm no-op is two multipass
// calls, info and one exec: the own system's script run also finds the
// arm64 image up to date. A change of the arm64 image alone runs one
// more exec for it and leaves the amd64 file alone; a change of both
// builds both.
func TestSystemsInTheVM(t *testing.T) {
	needNix(t)
	if runtime.GOARCH != "amd64" {
		t.Skip("builds arm64 through emulation on an amd64 host")
	}
	arm := arm64Busybox(t)
	w := newWorld(t)
	fake := multipasstest.Build(t)
	env, _, logPath := multipasstest.NewWorld(t, multipasstest.FakeInstance{Name: "nixpass", State: "Running", CPUs: 2, Memory: 4 << 30, Disk: 20 << 30})
	w.env = append(append(w.env, env...), "NIXPASS_GUEST_SCRIPT_DIR="+t.TempDir())
	w.writeConfig(fmt.Sprintf("[builder]\nbackend = \"multipass\"\nmultipass = %q\n", fake))
	msg := fmt.Sprintf("vm two systems %d", time.Now().UnixNano())
	nix := func(msg, armMsg string) string {
		return fmt.Sprintf(`let a = builtins.currentSystem == "aarch64-linux"; in import ./image.nix { busybox = if a then %s else %s; tag = "vm"; message = if a then %q else %q; }`+"\n",
			arm, nativeBusybox(), armMsg, msg)
	}
	dir := w.project("multi", nix(msg, msg+" arm"))
	if o := w.run("add", dir, "--system", "x86_64-linux", "--system", "aarch64-linux", "--no-watch"); o.code != 0 {
		t.Fatalf("add: %v", o)
	}
	o := w.run("build", dir, "--json")
	if o.code != 0 || o.res.Platform != "linux/amd64" || !strings.Contains(o.res.Message, "aarch64-linux: built (") {
		t.Fatalf("build: %v", o)
	}
	images, _ := filepath.Glob(filepath.Join(w.state, "images", "*-aarch64-linux-result.tar.gz"))
	if len(images) != 1 {
		t.Fatalf("no arm64 image in the state folder: %v", images)
	}
	if a := readArchive(t, images[0]); a.config.Architecture != "arm64" {
		t.Errorf("the kept arm64 image is for %s", a.config.Architecture)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".result.tar.gz.nixpass-tmp.*")); len(left) != 0 {
		t.Errorf("temporary images left in the project: %v", left)
	}
	own := filepath.Join(dir, "result.tar.gz")
	ownSum, armSum := fileSum(t, own), fileSum(t, images[0])

	// The no-op: info, then one exec whose script run checks both.
	before := len(multipasstest.Calls(t, logPath))
	o = w.run("build", dir, "--json")
	if o.code != 0 || !o.res.UpToDate || !strings.Contains(o.res.Message, "aarch64-linux: up to date") {
		t.Fatalf("second build: %v", o)
	}
	calls := multipasstest.Calls(t, logPath)[before:]
	if len(calls) != 2 || calls[0][0] != "info" || calls[1][0] != "exec" {
		t.Errorf("a warm two-system no-op took %d multipass calls, want 2 (info, exec): %q", len(calls), calls)
	}
	if log := string(readFile(t, o.res.Log)); !strings.Contains(log, "# system-check aarch64-linux up-to-date /nix/store/") {
		t.Errorf("the no-op's log has no up-to-date check of aarch64-linux:\n%s", log)
	}

	// Only the arm64 image changes: its check says so, and it alone is
	// built, in one more exec.
	w.setNix(dir, nix(msg, msg+" arm v2"))
	before = len(multipasstest.Calls(t, logPath))
	o = w.run("build", dir, "--json")
	if o.code != 0 || o.res.UpToDate || !strings.Contains(o.res.Message, "up to date: result.tar.gz") || !strings.Contains(o.res.Message, "aarch64-linux: built (") {
		t.Fatalf("build of a changed arm64 image: %v", o)
	}
	if n := len(multipasstest.Calls(t, logPath)) - before; n != 3 {
		t.Errorf("a build of the arm64 image alone took %d multipass calls, want 3 (info, two execs)", n)
	}
	if fileSum(t, own) != ownSum {
		t.Error("the amd64 file changed, though its image did not")
	}
	if s := fileSum(t, images[0]); s == armSum {
		t.Error("the kept arm64 image was not replaced")
	} else {
		armSum = s
	}

	// Both change: both are built.
	w.setNix(dir, nix(msg+" v3", msg+" arm v3"))
	o = w.run("build", dir, "--json")
	if o.code != 0 || o.res.UpToDate || !strings.HasPrefix(o.res.Message, "built result.tar.gz") || !strings.Contains(o.res.Message, "aarch64-linux: built (") ||
		len(o.res.Attempts) != 2 || o.res.Attempts[1].System != "aarch64-linux" {
		t.Fatalf("build of a changed project: %v", o)
	}
	if fileSum(t, own) == ownSum || fileSum(t, images[0]) == armSum {
		t.Error("a changed project did not replace both images")
	}
	if a := readArchive(t, images[0]); a.config.Architecture != "arm64" {
		t.Errorf("the kept arm64 image is for %s", a.config.Architecture)
	}
	if a := readArchive(t, own); a.config.Architecture != "amd64" {
		t.Errorf("the project's file is for %s", a.config.Architecture)
	}
}

// fileSum is the SHA-256 of the file at path, in hex.
func fileSum(t *testing.T, path string) string {
	t.Helper()
	sum := sha256.Sum256(readFile(t, path))
	return hex.EncodeToString(sum[:])
}

// nativeBusybox is the host's static busybox (merged-/usr or not).
func nativeBusybox() string {
	if _, err := os.Stat("/usr/bin/busybox"); err == nil {
		return "/usr/bin/busybox"
	}
	return "/bin/busybox"
}
