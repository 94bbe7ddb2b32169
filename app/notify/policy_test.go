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
		{fin(ok(false)), "nixpass · api: built", "api:latest · 84.0 MB · 41 s"},
		{fin(ok(true)), "", ""},
		{fin(failed(builder.KindOOM, "ran out of memory\ntail")), "nixpass · api: out of memory", "ran out of memory\nGive the build more memory"},
		{fin(failed(builder.KindOOM, "ran out of memory\ntail")), "", ""},
		{fin(failed(builder.KindEval, "undefined variable")), "nixpass · api: Nix evaluation error", "undefined variable\nFix the Nix expression"},
		{fin(builder.Result{Project: "/p/api", Kind: builder.KindCancelled, Status: builder.StatusFailed}), "", ""},
		{fin(ok(true)), "nixpass · api: fixed", "api:latest"},
		{bad, "nixpass · builder unavailable", "Multipass is not installed\nbrew install --cask multipass"},
		{bad, "", ""},
		{good, "", ""},
		{bad, "nixpass · builder unavailable", "brew install"},
		{builder.BuildLog{Line: "x"}, "", ""},
		{fin(builder.Result{Project: "/p/api", Status: builder.StatusSucceeded, Kind: builder.KindOK, Image: "api:arm", Platform: "linux/arm64", Bytes: 84_000_000, DurationMS: 41000}),
			"nixpass · api: built", "api:arm · 84.0 MB · 41 s · linux/arm64"},
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

// A manual build always shows its outcome: up to date, or the same
// failure again.
func TestManualBuildAlwaysShows(t *testing.T) {
	p := &Policy{Success: false}
	upToDate := ok(true)
	upToDate.Reason = "manual"
	if m, shown := p.Decide(fin(upToDate)); !shown || m.Title != "nixpass · api: up to date" {
		t.Errorf("manual up-to-date build: %v %q", shown, m.Title)
	}
	f := failed(builder.KindEval, "undefined variable")
	p.Decide(fin(f))
	if _, shown := p.Decide(fin(f)); shown {
		t.Error("an automatic repeat of the same failure was announced")
	}
	f.Reason = "manual"
	if m, shown := p.Decide(fin(f)); !shown || m.Title != "nixpass · api: Nix evaluation error" {
		t.Errorf("a manual repeat of the same failure: %v %q", shown, m.Title)
	}
}

// Bodies are at most two lines of at most 80 characters, with no PATH
// list, cgroup or store path, and files named relative to the project;
// urgency is for the builder being unavailable only.
func TestBodiesAreShortAndClean(t *testing.T) {
	build := failed(builder.KindBuild, "the builder for /nix/store/0123456789abcdfghijklmnpqrsvwxyz-api.drv failed with exit code 2\nlast 3 log lines:\n> /p/api/src/main.c:3:1: error: expected ';' before '}' token, and a long tail of compiler words here")
	oom := failed(builder.KindOOM, "the builder for /nix/store/0123456789abcdfghijklmnpqrsvwxyz-api.drv ran out of memory (/sys/fs/cgroup/system.slice/nix-daemon.service/memory.max)")
	oom.Action = "Give the build more memory (limit 200 MiB)"
	oom.Project = "/p/web"
	bad := builder.BuilderChanged{Status: builder.BuilderStatus{State: builder.BuilderUnavailable,
		Problem: "nix-build not found in PATH /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/opt/a/bin:/opt/b/bin", Hint: "install Nix"}}
	p := &Policy{Success: true}
	for _, tc := range []struct {
		ev     builder.Event
		lines  []string
		urgent bool
	}{
		{fin(build), []string{"src/main.c:3:1: error: expected ';' before '}' token, and a long tail of…", "Show log"}, false},
		{fin(oom), []string{"the builder for api.drv ran out of memory", "Give the build more memory (limit 200 MiB)"}, false},
		{bad, []string{"nix-build not found in PATH", "install Nix"}, true},
	} {
		m, shown := p.Decide(tc.ev)
		if !shown {
			t.Fatalf("%T not shown", tc.ev)
		}
		got := strings.Split(m.Body, "\n")
		if strings.Join(got, "|") != strings.Join(tc.lines, "|") {
			t.Errorf("body %q, want %q", got, tc.lines)
		}
		for _, l := range got {
			if len([]rune(l)) > 80 || strings.Contains(l, "/nix/store") || strings.Contains(l, "cgroup") {
				t.Errorf("body line %q", l)
			}
		}
		if m.Urgent != tc.urgent {
			t.Errorf("%q: urgent %v, want %v", m.Title, m.Urgent, tc.urgent)
		}
	}
}

// A config edit that does not parse is announced with the file, the line
// and the key.
func TestConfigProblemIsAnnounced(t *testing.T) {
	p := &Policy{}
	m, shown := p.Decide(builder.ConfigProblem{Path: "/home/a/.config/nixpass/config.toml", Line: 12, Key: "vm.memory", Reason: "want a size such as \"8G\"", Message: "config not reloaded: …"})
	if !shown || m.Title != "nixpass · config not reloaded" || !strings.HasPrefix(m.Body, "config.toml line 12, vm.memory: want a size") || !strings.Contains(m.Body, "last good config") {
		t.Errorf("got %v %q %q", shown, m.Title, m.Body)
	}
}

func TestSuccessNamesTheBuilder(t *testing.T) {
	remote := ok(false)
	remote.BuiltOn = "ssh-ng://me@bigbox"
	fallback := ok(false)
	fallback.Project, fallback.BuiltOn = "/p/web", builder.BuiltLocal
	fallback.Warning = "the remote builder ssh-ng://me@bigbox cannot be reached (ssh: connect to host bigbox port 22: Connection refused): built on this machine instead"
	p := &Policy{Success: true}
	if m, _ := p.Decide(fin(remote)); m.Body != "api:latest · 84.0 MB · 41 s · on me@bigbox" {
		t.Errorf("remote build body = %q", m.Body)
	}
	if m, _ := p.Decide(fin(fallback)); !strings.Contains(m.Body, "\nthe remote builder ssh-ng://me@bigbox cannot be reached") || strings.Contains(m.Body, "· on") {
		t.Errorf("fallback body = %q, want the warning on its own line", m.Body)
	}
}
