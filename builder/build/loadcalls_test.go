package build

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nixpass/builder"
	"nixpass/builder/docker"
	"nixpass/builder/docker/dockertest"
	"nixpass/builder/store"
)

// TestUpToDateDoesNotReload: against the fake engine, counting its calls,
// a build loads with one `docker load` and one `docker image inspect`; an
// up-to-date build whose engine still holds the recorded ID makes one
// inspect and no load; once the engine holds something else under the
// name, the up-to-date build loads again (issue 19, item 7).
func TestUpToDateDoesNotReload(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(t.TempDir(), "image.tar")
	tag := "nixpass-test-calls:1"
	dockertest.Archive(t, src, "calls", tag)
	image := mustRead(t, src)
	engine := t.TempDir()
	calls := filepath.Join(t.TempDir(), "calls")
	t.Setenv("FAKE_DOCKER", "engine:"+engine)
	t.Setenv("FAKE_DOCKER_TAG", tag)
	t.Setenv("FAKE_DOCKER_LOG", calls)
	st := &store.Store{StateDir: filepath.Join(dir, "state"), LogDir: filepath.Join(dir, "logs")}
	d := &docker.CLI{Command: dockertest.Fake(t)}
	p := builder.Project{Dir: dir, File: "default.nix", Output: "result.tar.gz", DockerLoad: true}
	const path = "/nix/store/abc-image.tar.gz"
	build := func(m *scriptMachine) (*builder.Result, []string) {
		t.Helper()
		os.Remove(calls)
		res := (&Builder{Machine: m, Store: st, Docker: d}).Build(context.Background(), p)
		b, _ := os.ReadFile(calls)
		return res, strings.Split(strings.TrimSpace(string(b)), "\n")
	}
	count := func(got []string, prefix string) int {
		n := 0
		for _, c := range got {
			if strings.HasPrefix(c, prefix) {
				n++
			}
		}
		return n
	}
	upToDate := &scriptMachine{stdout: "@nixpass store-path " + path + "\n@nixpass up-to-date\n"}

	res, got := build(&scriptMachine{stdout: "@nixpass store-path " + path + "\n", image: image})
	if res.Kind != builder.KindOK || res.Loaded != tag || count(got, "load") != 1 || count(got, "image inspect") != 1 {
		t.Fatalf("first build: %s %q loaded %q; docker calls %q, want one load and one inspect", res.Kind, res.Message, res.Loaded, got)
	}
	id := strings.TrimSpace(string(mustRead(t, filepath.Join(engine, "id"))))
	if g := st.IntactGood(dir); g == nil || g.Loaded != tag || g.LoadedID != id {
		t.Fatalf("last good = %+v, want loaded %s with ID %s", g, tag, id)
	}

	res, got = build(upToDate)
	if res.Kind != builder.KindOK || !res.UpToDate || res.Loaded != tag || count(got, "load") != 0 || len(got) != 1 {
		t.Fatalf("up to date: %s %q loaded %q; docker calls %q, want one inspect and no load", res.Kind, res.Message, res.Loaded, got)
	}

	// Someone else's image under the name now: loaded again.
	if err := os.WriteFile(filepath.Join(engine, "id"), []byte("sha256:other\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, got = build(upToDate)
	if res.Kind != builder.KindOK || !res.UpToDate || count(got, "load") != 1 {
		t.Fatalf("up to date, name taken over: %s %q; docker calls %q, want a load", res.Kind, res.Message, got)
	}
	if now := strings.TrimSpace(string(mustRead(t, filepath.Join(engine, "id")))); now != id {
		t.Errorf("engine holds %s, want the image's %s again", now, id)
	}
}
