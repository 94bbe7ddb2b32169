package main

import (
	"encoding/base64"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"nixpass/builder"
	"nixpass/builder/registry"
	"nixpass/builder/registry/registrytest"
)

// pushOut is `nixpass push --json`'s object.
type pushOut struct {
	Status  string           `json:"status"`
	Kind    builder.Kind     `json:"kind"`
	Message string           `json:"message"`
	Hint    string           `json:"hint"`
	Push    *registry.Result `json:"push"`
}

func parsePush(t *testing.T, o outcome) pushOut {
	t.Helper()
	var p pushOut
	if err := json.Unmarshal([]byte(o.stdout), &p); err != nil {
		t.Fatalf("push --json printed no object: %v\n%v", err, o)
	}
	return p
}

func TestPushCLI(t *testing.T) {
	needNix(t)
	reg := registrytest.Start(t, "", "")
	w := newWorld(t)
	w.env = append(w.env, "DOCKER_CONFIG="+t.TempDir())
	dir := w.project("app", imageNix("v1", ""))
	if o := w.run("add", dir, "--push", reg.Host+"/e2e/app"); o.code != 0 {
		t.Fatalf("add --push: %v", o)
	}

	o := w.run("push", dir, "--json")
	if p := parsePush(t, o); o.code != 1 || p.Kind != builder.KindConfig || !strings.Contains(p.Message, "build first") {
		t.Fatalf("push before any build: want kind config, exit 1, build first; got %v", o)
	}
	// The build pushes (TestBuildPushes); push pushes again what the
	// registry already has: nothing uploaded.
	if o := w.run("build", dir, "--json"); o.code != 0 || o.res.Push == nil || o.res.Push.LayersUploaded != 1 {
		t.Fatalf("build: %v", o)
	}
	o = w.run("push", dir, "--json")
	p := parsePush(t, o)
	if o.code != 0 || p.Push == nil || p.Push.Ref != reg.Host+"/e2e/app:v1" || p.Push.LayersUploaded != 0 || p.Push.LayersExisting != 1 {
		t.Fatalf("push: %v", o)
	}
	r, _ := name.ParseReference(p.Push.Ref, name.Insecure)
	desc, err := remote.Get(r)
	if err != nil || desc.Digest.String() != p.Push.Digest {
		t.Fatalf("the registry serves %v (%v), push said %s", desc, err, p.Push.Digest)
	}
	if n := reg.Uploads(t, "e2e/app"); n != 2 {
		t.Errorf("registry completed %d uploads, want 2 (layer and config)", n)
	}

	// --to, to another repository; then the registry refusing connections.
	o = w.run("push", dir, "--to", reg.Host+"/e2e/copy:x", "--json")
	if p := parsePush(t, o); o.code != 0 || p.Push.Ref != reg.Host+"/e2e/copy:x" {
		t.Fatalf("push --to: %v", o)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	o = w.run("push", dir, "--to", dead+"/e2e/app")
	if o.code != 11 || !strings.Contains(o.stderr, "push to "+dead+" failed: the connection was refused") {
		t.Fatalf("push to a closed port: want exit 11 naming the registry and the cause; got %v", o)
	}
	// explain reads nixpass's own "# push:" lines back.
	logFile := filepath.Join(t.TempDir(), "push.log")
	if err := os.WriteFile(logFile, []byte(o.stderr), 0o644); err != nil {
		t.Fatal(err)
	}
	o = w.run("explain", logFile, "--json")
	if o.code != 11 || !strings.Contains(o.stdout, `"kind": "push"`) || !strings.Contains(o.stdout, "Nothing answers at "+dead) {
		t.Errorf("explain of a failed push's log: %v", o)
	}
}

func TestAddSystemsAndPush(t *testing.T) {
	w := newWorld(t)
	dir := w.project("multi", imageNix("v1", ""))
	if o := w.run("add", dir, "--system", "x86_64-linux", "--system", "aarch64-linux", "--push", "ghcr.io/team/app"); o.code != 0 {
		t.Fatalf("add: %v", o)
	}
	b, err := os.ReadFile(w.config)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`systems = ["x86_64-linux", "aarch64-linux"]`, `push = "ghcr.io/team/app"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("config lacks %s:\n%s", want, b)
		}
	}
	if o := w.run("list", "--json"); !strings.Contains(o.stdout, `"push": "ghcr.io/team/app"`) || !strings.Contains(o.stdout, `"systems": [`) {
		t.Errorf("list --json lacks push and systems: %v", o)
	}
	if o := w.run("add", w.project("bad", imageNix("v1", "")), "--push", "team/app"); o.code != 1 || !strings.Contains(o.stderr, "has no registry") {
		t.Errorf("add --push without a registry: %v", o)
	}
}

func TestPushProgressEvent(t *testing.T) {
	ev := builder.PushProgress{Project: "/src/api", Ref: "r.example/api:v1", Layers: 3, LayersTotal: 7, Bytes: 120_000_000, BytesTotal: 400_000_000}
	var js, text strings.Builder
	printEvent(&js, ev, true)
	printEvent(&text, ev, false)
	var line struct {
		Type  string
		Event builder.PushProgress
	}
	if err := json.Unmarshal([]byte(js.String()), &line); err != nil || line.Type != "PushProgress" || line.Event.Layers != 3 || line.Event.BytesTotal != 400_000_000 {
		t.Errorf("app --json line %q (%v)", js.String(), err)
	}
	if !strings.Contains(text.String(), "Pushing api: 3/7 layers, 120/400 MB") {
		t.Errorf("app line %q", text.String())
	}
}

// registryRequests counts the requests the registry logged for repo.
func registryRequests(t *testing.T, reg *registrytest.Registry, repo string) int {
	t.Helper()
	b, err := os.ReadFile(reg.Log)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), " /v2/"+repo+"/")
}

// writeDockerAuth writes a DOCKER_CONFIG folder with basic auth for host
// and returns it.
func writeDockerAuth(t *testing.T, host, user, password string) string {
	t.Helper()
	dir := t.TempDir()
	b, _ := json.Marshal(map[string]any{"auths": map[string]any{host: map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte(user + ":" + password))}}})
	if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestBuildPushes: a real build of a project with push pushes to a real
// registry; an up-to-date rebuild sends the registry nothing; history
// records the push.
func TestBuildPushes(t *testing.T) {
	needNix(t)
	reg := registrytest.Start(t, "", "")
	w := newWorld(t)
	w.env = append(w.env, "DOCKER_CONFIG="+t.TempDir())
	dir := w.project("app", imageNix("v1", ""))
	if o := w.run("add", dir, "--push", reg.Host+"/e2e/built", "--no-watch"); o.code != 0 {
		t.Fatalf("add --push: %v", o)
	}
	o := w.run("build", dir, "--json")
	p := o.res.Push
	if o.code != 0 || p == nil || p.Error != "" || p.Ref != reg.Host+"/e2e/built:v1" || p.LayersUploaded != 1 || p.BytesUploaded == 0 {
		t.Fatalf("build with push: want exit 0 and a push object for :v1 with one layer uploaded; got %+v\n%v", p, o)
	}
	r, _ := name.ParseReference(p.Ref, name.Insecure)
	desc, err := remote.Get(r)
	if err != nil || desc.Digest.String() != p.Digest {
		t.Fatalf("the registry serves %v (%v), the build said %s", desc, err, p.Digest)
	}
	if n := reg.Uploads(t, "e2e/built"); n != 2 {
		t.Errorf("registry completed %d uploads, want 2 (layer and config)", n)
	}
	if !strings.Contains(o.res.Message, "pushed "+p.Ref+"@"+p.Digest[:len("sha256:")+12]+"…") {
		t.Errorf("message %q does not say pushed REF@sha256:abcd…", o.res.Message)
	}

	before := registryRequests(t, reg, "e2e/built")
	o = w.run("build", dir, "--json")
	if o.code != 0 || !o.res.UpToDate || o.res.Push == nil || o.res.Push.Digest != p.Digest || o.res.Push.LayersUploaded != 0 {
		t.Fatalf("up-to-date rebuild: want up to date with the same push digest and nothing uploaded; got %+v\n%v", o.res.Push, o)
	}
	if after := registryRequests(t, reg, "e2e/built"); after != before {
		t.Errorf("an up-to-date rebuild sent the registry %d requests, want none", after-before)
	}
	o = w.run("history", dir, "--json")
	var h struct {
		Builds []struct {
			Push *builder.PushResult `json:"push"`
		} `json:"builds"`
	}
	if err := json.Unmarshal([]byte(o.stdout), &h); err != nil || len(h.Builds) != 2 || h.Builds[1].Push == nil || h.Builds[1].Push.Digest != p.Digest {
		t.Errorf("history does not record the push: %v\n%v", err, o.stdout)
	}
}

// TestBuildPushFailsThenRetries: a push the registry refuses (wrong
// password) fails the build with kind push, exit 11, keeping the image;
// `nixpass push` with the right login turns that result into a success;
// a failed push is retried by the next build.
func TestBuildPushFailsThenRetries(t *testing.T) {
	needNix(t)
	reg := registrytest.Start(t, "ana", "right-pass")
	w := newWorld(t)
	env := w.env
	w.env = append(env, "DOCKER_CONFIG="+writeDockerAuth(t, reg.Host, "ana", "wrong-pass"))
	dir := w.project("app", imageNix("v1", ""))
	if o := w.run("add", dir, "--push", reg.Host+"/e2e/auth", "--no-watch"); o.code != 0 {
		t.Fatalf("add --push: %v", o)
	}
	o := w.run("build", dir, "--json")
	if o.code != 11 || o.res.Kind != builder.KindPush || o.res.Push == nil || o.res.Push.Error == "" ||
		!strings.Contains(o.res.Message, "but not pushed") || !strings.Contains(o.res.Hint, "docker login "+reg.Host) {
		t.Fatalf("push with a wrong password: want exit 11, kind push, push.error, the login hint; got %v", o)
	}
	if st, err := os.Stat(o.res.Output); err != nil || st.Size() == 0 {
		t.Fatalf("the image file is not kept after a failed push: %v", err)
	}
	if strings.Contains(o.stdout+o.stderr, "wrong-pass") {
		t.Errorf("the password shows in the output")
	}
	if o := w.run("build", dir); o.code != 11 || !strings.Contains(o.stderr, "✗ up to date: result.tar.gz already holds /nix/store/") || !strings.Contains(o.stderr, ", but not pushed: push to "+reg.Host+" failed: not logged in") || !strings.Contains(o.stderr, "(kept, the last good image)") || strings.Contains(o.stderr, "map[") {
		t.Errorf("the CLI's failed push: want ✗ up to date: …, but not pushed: …, and the kept image; got %v", o)
	}
	// The next build (up to date) retries and fails again: not recorded as pushed.
	if o := w.run("build", dir, "--json"); o.code != 11 || !o.res.UpToDate {
		t.Fatalf("rebuild after a failed push: want up to date, pushed again, exit 11; got %v", o)
	}

	w.env = append(env, "DOCKER_CONFIG="+writeDockerAuth(t, reg.Host, "ana", "right-pass"))
	o = w.run("push", dir, "--json")
	pp := parsePush(t, o)
	if o.code != 0 || pp.Push == nil || pp.Push.Digest == "" {
		t.Fatalf("push with the right login: %v", o)
	}
	r, _ := name.ParseReference(pp.Push.Ref, name.Insecure)
	if desc, err := remote.Get(r, remote.WithAuth(&authn.Basic{Username: "ana", Password: "right-pass"})); err != nil || desc.Digest.String() != pp.Push.Digest {
		t.Fatalf("the registry serves %v (%v), push said %s", desc, err, pp.Push.Digest)
	}
	o = w.run("status", "--json")
	if !strings.Contains(o.stdout, `"kind": "ok"`) || strings.Contains(o.stdout, `"kind": "push"`) {
		t.Errorf("after a successful push the last result is still a failure: %v", o.stdout)
	}
	before := registryRequests(t, reg, "e2e/auth")
	if o := w.run("build", dir, "--json"); o.code != 0 || o.res.Push == nil || o.res.Push.Digest != pp.Push.Digest {
		t.Fatalf("rebuild after nixpass push: want success with the pushed digest; got %v", o)
	}
	if after := registryRequests(t, reg, "e2e/auth"); after != before {
		t.Errorf("a rebuild of a store path nixpass push already pushed sent the registry %d requests, want none", after-before)
	}

	// A new image whose push fails is pushed by the next build once the
	// registry takes it.
	w.env = append(env, "DOCKER_CONFIG="+writeDockerAuth(t, reg.Host, "ana", "wrong-pass"))
	if err := os.WriteFile(filepath.Join(dir, "default.nix"), []byte(imageNix("v2", "")), 0o644); err != nil {
		t.Fatal(err)
	}
	if o := w.run("build", dir, "--json"); o.code != 11 {
		t.Fatalf("build of v2 with a wrong password: want exit 11; got %v", o)
	}
	w.env = append(env, "DOCKER_CONFIG="+writeDockerAuth(t, reg.Host, "ana", "right-pass"))
	o = w.run("build", dir, "--json")
	if o.code != 0 || !o.res.UpToDate || o.res.Push == nil || o.res.Push.Ref != reg.Host+"/e2e/auth:v2" || o.res.Push.LayersUploaded == 0 {
		t.Fatalf("rebuild once the login is right: want up to date and v2 pushed; got %v", o)
	}
}
