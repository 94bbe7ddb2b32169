package main

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
	if o := w.run("build", dir, "--json"); o.code != 0 {
		t.Fatalf("build: %v", o)
	}
	o = w.run("push", dir, "--json")
	p := parsePush(t, o)
	if o.code != 0 || p.Push == nil || p.Push.Ref != reg.Host+"/e2e/app:v1" || p.Push.LayersUploaded != 1 {
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
