package notify

import (
	"strings"
	"testing"

	"nixpass/builder"
)

// An image the team cache did not take is announced as built but not
// uploaded, with the cache's words and the hint.
func TestPolicyBuiltNotUploaded(t *testing.T) {
	r := builder.Result{Project: "/p/api", Status: builder.StatusFailed, Kind: builder.KindCache, Image: "api:latest", Bytes: 84_000_000,
		Output:  "/p/api/result.tar.gz",
		Message: "built result.tar.gz (84.0 MB), but not uploaded to the cache: upload to https://cache.example.com: HTTP error 403",
		Hint:    "the server refused the upload",
		Cache:   &builder.CacheUpload{URL: "https://cache.example.com", Error: "HTTP error 403"}}
	p := &Policy{Success: true}
	m, shown := p.Decide(fin(r))
	if !shown || m.Title != "api: built, not uploaded to the cache" {
		t.Fatalf("got %v %q", shown, m.Title)
	}
	for _, want := range []string{"api:latest is built (84.0 MB) but not uploaded to the team cache: upload to https://cache.example.com: HTTP error 403", "the server refused"} {
		if !strings.Contains(m.Body, want) {
			t.Errorf("body %q lacks %q", m.Body, want)
		}
	}
}
