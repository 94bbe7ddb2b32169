package agent

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// launchdWorld is one starting state of the Mac: the plist file, what
// launchd has loaded or disabled, and whether the test plays the job.
type launchdWorld struct {
	plist    string // "", "same" (current text) or "old" (an older text)
	loaded   bool
	disabled bool
	btmOff   bool
	inJob    bool
}

func setupLaunchd(t *testing.T, w launchdWorld) (*Launchd, string) {
	t.Helper()
	dir := t.TempDir()
	state := filepath.Join(dir, "launchctl")
	t.Setenv("FAKE_LAUNCHCTL_DIR", state)
	for _, d := range []string{"loaded", "disabled"} {
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
	}{
		{name: "fresh install loads it now", world: launchdWorld{}, action: "install",
			wantPlist: true, wantLoaded: true, wantEnabled: true, wantCalls: "enable print bootstrap"},
		{name: "install twice changes nothing", world: launchdWorld{plist: "same", loaded: true}, action: "install",
			wantPlist: true, wantLoaded: true, wantEnabled: true, wantCalls: "enable print"},
		{name: "install over an older loaded plist reloads it", world: launchdWorld{plist: "old", loaded: true}, action: "install",
			wantPlist: true, wantLoaded: true, wantEnabled: true, wantCalls: "enable print bootout bootstrap"},
		{name: "install re-enables a disabled job", world: launchdWorld{plist: "same", disabled: true}, action: "install",
			wantPlist: true, wantLoaded: true, wantEnabled: true, wantCalls: "enable print bootstrap"},
		{name: "install from inside the job leaves the job alone", world: launchdWorld{plist: "old", loaded: true, inJob: true}, action: "install",
			wantPlist: true, wantLoaded: true, wantEnabled: true, wantCalls: "enable"},
		{name: "re-tick inside the job after an untick", world: launchdWorld{loaded: true, inJob: true}, action: "install",
			wantPlist: true, wantLoaded: true, wantEnabled: true, wantCalls: "enable"},
		{name: "Login Items switched off: install says where to switch it on", world: launchdWorld{btmOff: true}, action: "install",
			wantErr: "System Settings › General › Login Items", wantPlist: true, wantLoaded: false, wantEnabled: false},
		{name: "uninstall from a terminal boots the job out", world: launchdWorld{plist: "same", loaded: true}, action: "uninstall",
			wantPlist: false, wantLoaded: false, wantEnabled: false, wantCalls: "print bootout"},
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
			switch tc.action {
			case "install":
				err = l.Install(ctx)
			case "uninstall":
				err = l.Uninstall(ctx)
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
