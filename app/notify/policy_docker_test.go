package notify

import (
	"strings"
	"testing"

	"nixpass/builder"
)

// An image Docker did not load is announced as built but not loaded,
// with the image, Docker's words and the hint; a repeat is quiet, and the
// next load that works is announced as fixed.
func TestPolicyBuiltNotLoaded(t *testing.T) {
	notLoaded := builder.Result{Project: "/p/api", Status: builder.StatusFailed, Kind: builder.KindDocker, Image: "api:latest", Bytes: 84_000_000,
		Output:  "/p/api/result.tar.gz",
		Message: "built result.tar.gz (84.0 MB), but not loaded into Docker: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",
		Hint:    "start the engine: sudo systemctl start docker"}
	p := &Policy{Success: true}
	m, shown := p.Decide(fin(notLoaded))
	if !shown || m.Title != "nixpass · api: built, not loaded into Docker" {
		t.Fatalf("got %v %q", shown, m.Title)
	}
	for _, want := range []string{"api:latest is built (84.0 MB); Docker said: Cannot connect to the Docker", "Start Docker, then Load into Docker"} {
		if !strings.Contains(m.Body, want) {
			t.Errorf("body %q lacks %q", m.Body, want)
		}
	}
	if _, shown := p.Decide(fin(notLoaded)); shown {
		t.Error("the same failure was announced twice")
	}
	if m, shown := p.Decide(fin(ok(false))); !shown || m.Title != "nixpass · api: fixed" {
		t.Errorf("the next good load: %v %q, want fixed", shown, m.Title)
	}
}
