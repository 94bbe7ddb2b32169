package notify

import (
	"strings"
	"testing"

	"nixpass/builder"
)

// The success notification of a build that pushed ends with the pushed
// ref and a short digest; a failed push is announced as kind push.
func TestPolicyPushed(t *testing.T) {
	r := ok(false)
	r.Push = &builder.PushResult{Ref: "ghcr.io/me/api:v1", Digest: "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}
	p := &Policy{Success: true}
	if m, shown := p.Decide(fin(r)); !shown || !strings.HasSuffix(m.Body, "\nPushed ghcr.io/me/api:v1@sha256:0123456789ab…") {
		t.Errorf("got %v %q, want the body to end with the push", shown, m.Body)
	}
	failed := builder.Result{Project: r.Project, Status: builder.StatusFailed, Kind: builder.KindPush,
		Message: "built result.tar.gz (84.0 MB), but not pushed: push to ghcr.io failed: denied", Hint: "check the repository and the account",
		Push: &builder.PushResult{Ref: "ghcr.io/me/api:v1", Error: "push to ghcr.io failed: denied"}}
	if m, shown := p.Decide(fin(failed)); !shown || m.Title != "nixpass · api: built, not pushed" || !strings.Contains(m.Body, "denied") || strings.Contains(m.Body, "Pushed") {
		t.Errorf("failed push: %v %q %q", shown, m.Title, m.Body)
	}
}
