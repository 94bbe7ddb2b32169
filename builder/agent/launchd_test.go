package agent

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"nixpass/builder/runner"
)

// launchdWorld is one starting state of the Mac: the plist file, what
// launchd has loaded or disabled, and whether the test plays the job.
type launchdWorld struct {
	plist    string // "", "same" (current text) or "old" (an older text)
	loaded   bool
	disabled bool
	btmOff   bool
	inJob    bool
	// stopped: loaded but its process not running (the app was quit).
	stopped bool
	// exiting: a bootout is under way (print finds it once more).
	exiting bool
	// bootFails: bootstrap fails for a reason other than Login Items.
	bootFails bool
	// other: the old plist starts another nixpass binary.
	other bool
}

func setupLaunchd(t *testing.T, w launchdWorld) (*Launchd, string) {
	t.Helper()
	dir := t.TempDir()
	state := filepath.Join(dir, "launchctl")
	t.Setenv("FAKE_LAUNCHCTL_DIR", state)
	for _, d := range []string{"loaded", "disabled", "stopped", "exiting"} {
		if err := os.MkdirAll(filepath.Join(state, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	fake, err := filepath.Abs("testdata/fake-launchctl")
	if err != nil {
		t.Fatal(err)
	}
	text, err := RenderLaunchd(hostile)
	if err != nil {
		t.Fatal(err)
	}
	l := &Launchd{
		Plist:  filepath.Join(dir, "Library", "LaunchAgents", Label+".plist"),
		Text:   text,
		Domain: "gui/501",
		InJob:  w.inJob,
		Bin:    fake,
	}
	touch := func(name, content string) {
		if err := os.WriteFile(filepath.Join(state, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	switch w.plist {
	case "same", "old":
		content := text
		if w.plist == "old" {
			content = []byte("<plist>an older nixpass</plist>")
		}
		if w.other {
			o := hostile
			o.Executable = "/Applications/Old nixpass.app/Contents/MacOS/nixpass"
			content, _ = RenderLaunchd(o)
		}
		if err := os.MkdirAll(filepath.Dir(l.Plist), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(l.Plist, content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if w.loaded {
		touch("loaded/"+Label, l.Plist)
	}
	if w.disabled {
		touch("disabled/"+Label, "")
	}
	if w.btmOff {
		touch("btm-off", "")
	}
	if w.inJob {
		touch("self", "")
	}
	if w.stopped {
		touch("stopped/"+Label, "")
	}
	if w.exiting {
		touch("exiting/"+Label, "1")
	}
	if w.bootFails {
		touch("bootstrap-fails", "")
	}
	l.Poll = time.Millisecond
	return l, state
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

func TestLaunchdStateMachine(t *testing.T) {
	for _, tc := range []struct {
		name   string
		world  launchdWorld
		action string // "install" or "uninstall"
		// after the action:
		wantErr     string // substring; "" means no error
		wantPlist   bool
		wantLoaded  bool
		wantEnabled bool   // the checkbox
		wantCalls   string // launchctl verbs that must have run, in order, space-separated
		wantReport  Report
		notErr      string // the error must not say this
	}{
		{name: "fresh install loads it now", world: launchdWorld{}, action: "install",
			wantPlist: true, wantLoaded: true, wantEnabled: true, wantCalls: "enable print bootstrap"},
		{name: "install twice changes nothing", world: launchdWorld{plist: "same", loaded: true}, action: "install",
			wantPlist: true, wantLoaded: true, wantEnabled: true, wantCalls: "enable print"},
		{name: "install from Terminal over an older plist while the app runs: written, deferred, app untouched", world: launchdWorld{plist: "old", loaded: true}, action: "install",
			wantPlist: true, wantLoaded: true, wantEnabled: true, wantCalls: "enable print", wantReport: Report{Deferred: true}},
		{name: "install of another binary says which agent it replaces", world: launchdWorld{plist: "old", other: true, loaded: true}, action: "install",
			wantPlist: true, wantLoaded: true, wantEnabled: true, wantCalls: "enable print",
			wantReport: Report{Deferred: true, Replaced: "/Applications/Old nixpass.app/Contents/MacOS/nixpass"}},
		{name: "install over an older plist of a quit app: bootout, wait until print fails, bootstrap", world: launchdWorld{plist: "old", loaded: true, stopped: true}, action: "install",
			wantPlist: true, wantLoaded: true, wantEnabled: true, wantCalls: "enable print bootout print print print bootstrap"},
		{name: "bootout answered 36 (still exiting): wait, then bootstrap", world: launchdWorld{plist: "old", loaded: true, stopped: true, exiting: true}, action: "install",
			wantPlist: true, wantLoaded: true, wantEnabled: true, wantCalls: "enable print bootout print bootstrap"},
		{name: "install re-enables a disabled job", world: launchdWorld{plist: "same", disabled: true}, action: "install",
			wantPlist: true, wantLoaded: true, wantEnabled: true, wantCalls: "enable print bootstrap"},
		{name: "install from inside the job leaves the job alone", world: launchdWorld{plist: "old", loaded: true, inJob: true}, action: "install",
			wantPlist: true, wantLoaded: true, wantEnabled: true, wantCalls: "enable", wantReport: Report{Deferred: true}},
		{name: "re-tick inside the job after an untick", world: launchdWorld{loaded: true, inJob: true}, action: "install",
			wantPlist: true, wantLoaded: true, wantEnabled: true, wantCalls: "enable"},
		{name: "Login Items switched off (print-disabled says so): install says where to switch it on", world: launchdWorld{btmOff: true}, action: "install",
			wantErr: "System Settings › General › Login Items", wantPlist: true, wantLoaded: false, wantEnabled: false},
		{name: "bootstrap fails otherwise: Login Items is not blamed", world: launchdWorld{bootFails: true}, action: "install",
			wantErr: "starts at the next login", notErr: "Login Items", wantPlist: true, wantLoaded: false, wantEnabled: false},
		{name: "uninstall from Terminal while the app runs: plist deleted, app untouched", world: launchdWorld{plist: "same", loaded: true}, action: "uninstall",
			wantPlist: false, wantLoaded: true, wantEnabled: false, wantCalls: "print", wantReport: Report{Deferred: true}},
		{name: "uninstall from Terminal of a quit app boots it out and waits", world: launchdWorld{plist: "same", loaded: true, stopped: true}, action: "uninstall",
			wantPlist: false, wantLoaded: false, wantEnabled: false, wantCalls: "print bootout print print print"},
		{name: "uninstall inside the job keeps the app running", world: launchdWorld{plist: "same", loaded: true, inJob: true}, action: "uninstall",
			wantPlist: false, wantLoaded: true, wantEnabled: false, wantCalls: ""},
		{name: "uninstall of an absent agent is not an error", world: launchdWorld{}, action: "uninstall",
			wantPlist: false, wantLoaded: false, wantEnabled: false, wantCalls: "print"},
		{name: "plist present but not loaded: the checkbox is off", world: launchdWorld{plist: "same"}, action: "",
			wantPlist: true, wantLoaded: false, wantEnabled: false},
		{name: "plist present, loaded, disabled in launchd: off", world: launchdWorld{plist: "same", loaded: true, disabled: true}, action: "",
			wantPlist: true, wantLoaded: true, wantEnabled: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, state := setupLaunchd(t, tc.world)
			ctx := context.Background()
			var err error
			var rep Report
			switch tc.action {
			case "install":
				rep, err = l.Install(ctx)
			case "uninstall":
				rep, err = l.Uninstall(ctx)
			}
			if tc.notErr != "" && err != nil && strings.Contains(err.Error(), tc.notErr) {
				t.Errorf("%s: error %q blames %q", tc.action, err, tc.notErr)
			}
			if rep != tc.wantReport {
				t.Errorf("%s: report %+v, want %+v", tc.action, rep, tc.wantReport)
			}
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("%s: %v", tc.action, err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("%s: error %v, want one containing %q", tc.action, err, tc.wantErr)
			}
			calls, _ := os.ReadFile(filepath.Join(state, "calls"))
			var verbs []string
			for _, line := range strings.Split(strings.TrimSpace(string(calls)), "\n") {
				if f := strings.Fields(line); len(f) > 0 {
					verbs = append(verbs, f[0])
				}
			}
			if tc.action != "" && tc.wantErr == "" {
				if got := strings.Join(verbs, " "); got != tc.wantCalls {
					t.Errorf("launchctl calls = %q, want %q", got, tc.wantCalls)
				}
			}
			if b, err := os.ReadFile(filepath.Join(state, "killed")); err == nil {
				t.Fatalf("the running app's own job was stopped (%s): unticking must never quit the app", b)
			}
			if exists(filepath.Join(state, "legacy")) {
				t.Error("used launchctl load/unload; only bootstrap/bootout are allowed")
			}
			if got := exists(l.Plist); got != tc.wantPlist {
				t.Errorf("plist exists = %v, want %v", got, tc.wantPlist)
			}
			if tc.wantPlist {
				if b, _ := os.ReadFile(l.Plist); string(b) != string(l.Text) && tc.action == "install" {
					t.Errorf("plist is not the rendered text:\n%s", b)
				}
			}
			st := l.Status(ctx)
			if st.Loaded != tc.wantLoaded || st.Enabled != tc.wantEnabled || st.Installed != tc.wantPlist {
				t.Errorf("status = %+v, want loaded %v, enabled %v, installed %v", st, tc.wantLoaded, tc.wantEnabled, tc.wantPlist)
			}
			if st.Loaded && !st.Running {
				t.Errorf("status = %+v: a loaded job reported by print as running is Running", st)
			}
		})
	}
}

// TestLaunchdNoLaunchctl: where launchctl cannot be run, the checkbox
// falls back to "the plist exists" rather than a wrong "off".
func TestLaunchdNoLaunchctl(t *testing.T) {
	l, _ := setupLaunchd(t, launchdWorld{plist: "same"})
	l.Bin = filepath.Join(t.TempDir(), "no-launchctl")
	st := l.Status(context.Background())
	if !st.Installed || !st.Enabled || st.Loaded {
		t.Errorf("status = %+v, want installed and enabled, not loaded", st)
	}
}

func TestLaunchedByAgent(t *testing.T) {
	for _, tc := range []struct {
		xpc, agent string
		want       bool
	}{
		{"", "", false},
		{"application.com.apple.Terminal.123", "", false},
		{Label, "", true},
		{"", "1", true},
	} {
		t.Setenv("XPC_SERVICE_NAME", tc.xpc)
		t.Setenv("NIXPASS_AGENT", tc.agent)
		if got := LaunchedByAgent(); got != tc.want {
			t.Errorf("XPC_SERVICE_NAME=%q NIXPASS_AGENT=%q: LaunchedByAgent = %v, want %v", tc.xpc, tc.agent, got, tc.want)
		}
	}
}

// TestFakeLaunchctlModelsSlowBootout: the fake behaves as the launchctl
// the review cites, so the state machine's tests mean something: a
// bootstrap right after a bootout fails with 5, a second bootout answers
// 36, and print finds the job until it has exited.
func TestFakeLaunchctlModelsSlowBootout(t *testing.T) {
	l, _ := setupLaunchd(t, launchdWorld{plist: "same", loaded: true, stopped: true})
	ctx := context.Background()
	code := func(args ...string) int {
		_, err := l.launchctl(ctx, args...)
		var xe *runner.ExitError
		if errors.As(err, &xe) {
			return xe.Code
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	}
	for _, step := range []struct {
		args []string
		want int
	}{
		{[]string{"bootout", l.target()}, 0},
		{[]string{"bootstrap", l.Domain, l.Plist}, 5},
		{[]string{"bootout", l.target()}, 36},
		{[]string{"print", l.target()}, 0},
		{[]string{"print", l.target()}, 0},
		{[]string{"print", l.target()}, 113},
		{[]string{"bootstrap", l.Domain, l.Plist}, 0},
	} {
		if got := code(step.args...); got != step.want {
			t.Fatalf("launchctl %s: exit %d, want %d", strings.Join(step.args, " "), got, step.want)
		}
	}
}
