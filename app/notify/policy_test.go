package notify

import (
	"strings"
	"testing"

	"nixpass/builder"
)

func fin(r builder.Result) builder.Event { return builder.BuildFinished{Result: r} }

func ok(upToDate bool) builder.Result {
	return builder.Result{Project: "/p/api", Status: builder.StatusSucceeded, Kind: builder.KindOK, Image: "api:latest", Bytes: 84_000_000, DurationMS: 41000, UpToDate: upToDate}
}

func failed(kind builder.Kind, msg string) builder.Result {
	return builder.Result{Project: "/p/api", Status: builder.StatusFailed, Kind: kind, Message: msg, Hint: "do this"}
}

func TestPolicy(t *testing.T) {
	bad := builder.BuilderChanged{Status: builder.BuilderStatus{State: builder.BuilderUnavailable, Problem: "Multipass is not installed", Hint: "brew install --cask multipass"}}
	good := builder.BuilderChanged{Status: builder.BuilderStatus{State: builder.BuilderRunning}}
	steps := []struct {
		ev    builder.Event
		title string // "" = no notification
		body  string
	}{
		{fin(ok(false)), "nixpass: api built", "api:latest · 84.0 MB · 41s"},
		{fin(ok(true)), "", ""},
		{fin(failed(builder.KindOOM, "ran out of memory\ntail")), "api: out of memory", "ran out of memory\ndo this"},
		{fin(failed(builder.KindOOM, "ran out of memory\ntail")), "", ""},
		{fin(failed(builder.KindEval, "undefined variable")), "api: Nix evaluation error", "undefined variable"},
		{fin(builder.Result{Project: "/p/api", Kind: builder.KindCancelled, Status: builder.StatusFailed}), "", ""},
		{fin(ok(true)), "nixpass: api fixed", "api:latest"},
		{bad, "nixpass: builder unavailable", "Multipass is not installed"},
		{bad, "", ""},
		{good, "", ""},
		{bad, "nixpass: builder unavailable", "brew install"},
		{builder.BuildLog{Line: "x"}, "", ""},
		{fin(builder.Result{Project: "/p/api", Status: builder.StatusSucceeded, Kind: builder.KindOK, Image: "api:arm", Platform: "linux/arm64", Bytes: 84_000_000, DurationMS: 41000}),
			"nixpass: api built", "api:arm · 84.0 MB · 41s · linux/arm64"},
	}
	p := &Policy{Success: true}
	for i, s := range steps {
		m, shown := p.Decide(s.ev)
		if shown != (s.title != "") || m.Title != s.title || !strings.Contains(m.Body, s.body) {
			t.Errorf("step %d: got %v %q %q, want %q %q", i, shown, m.Title, m.Body, s.title, s.body)
		}
	}
}

func TestSuccessCanBeTurnedOff(t *testing.T) {
	p := &Policy{Success: false}
	if _, shown := p.Decide(fin(ok(false))); shown {
		t.Error("success announced with Success off")
	}
	p.Decide(fin(failed(builder.KindBuild, "x")))
	if m, shown := p.Decide(fin(ok(false))); !shown || !strings.Contains(m.Title, "fixed") {
		t.Error("a fix should still be announced")
	}
}

func TestSuccessNamesTheBuilder(t *testing.T) {
	remote := ok(false)
	remote.BuiltOn = "ssh-ng://me@bigbox"
	fallback := ok(false)
	fallback.Project, fallback.BuiltOn = "/p/web", builder.BuiltLocal
	fallback.Warning = "the remote builder ssh-ng://me@bigbox cannot be reached (ssh: connect to host bigbox port 22: Connection refused): built on this machine instead"
	p := &Policy{Success: true}
	if m, _ := p.Decide(fin(remote)); m.Body != "api:latest · 84.0 MB · 41s · on me@bigbox" {
		t.Errorf("remote build body = %q", m.Body)
	}
	if m, _ := p.Decide(fin(fallback)); !strings.HasSuffix(m.Body, "\n"+fallback.Warning) || strings.Contains(m.Body, "· on") {
		t.Errorf("fallback body = %q, want the warning on its own line", m.Body)
	}
}
