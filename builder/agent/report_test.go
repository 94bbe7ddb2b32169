package agent

import (
	"strings"
	"testing"
)

// TestExecutableOf: the binary a previous agent started is read back from
// the plist and from the unit, hostile paths included, so `install` can
// say which agent it replaces (N2).
func TestExecutableOf(t *testing.T) {
	plistText, err := RenderLaunchd(hostile)
	if err != nil {
		t.Fatal(err)
	}
	unit, err := RenderSystemd(hostile)
	if err != nil {
		t.Fatal(err)
	}
	other := hostile
	other.Executable = "/opt/old/nixpass"
	otherText, _ := RenderLaunchd(other)
	for _, tc := range []struct {
		name string
		text []byte
		want string
	}{
		{"plist", plistText, hostile.Executable},
		{"unit", unit, hostile.Executable},
		{"garbage", []byte("<plist>an older nixpass</plist>"), ""},
		{"bare ExecStart", []byte("[Service]\nExecStart=/usr/bin/nixpass app\n"), "/usr/bin/nixpass"},
	} {
		if got := executableOf(tc.text); got != tc.want {
			t.Errorf("%s: executableOf = %q, want %q", tc.name, got, tc.want)
		}
	}
	if got := otherExecutable(otherText, plistText); got != "/opt/old/nixpass" {
		t.Errorf("otherExecutable = %q, want the old binary", got)
	}
	if got := otherExecutable(plistText, plistText); got != "" {
		t.Errorf("otherExecutable of the same binary = %q, want none", got)
	}
}

func TestReportMessages(t *testing.T) {
	for _, tc := range []struct {
		rep       Report
		want, not []string
		uninstall bool
	}{
		{Report{}, []string{"nixpass starts at login (/p.plist)"}, []string{"replaces", "next login"}, false},
		{Report{Replaced: "/old/nixpass", Deferred: true}, []string{"replaces the login agent that started /old/nixpass", "takes effect at the next login"}, nil, false},
		{Report{Deferred: true}, []string{"no longer starts at login", "keeps running until you quit it", "next login"}, nil, true},
		{Report{}, []string{"no longer starts at login"}, []string{"keeps running"}, true},
	} {
		got := tc.rep.InstallMessage("/p.plist")
		if tc.uninstall {
			got = tc.rep.UninstallMessage()
		}
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%+v: %q lacks %q", tc.rep, got, w)
			}
		}
		for _, n := range tc.not {
			if strings.Contains(got, n) {
				t.Errorf("%+v: %q says %q", tc.rep, got, n)
			}
		}
	}
}

// TestTranslocatedRefused (m10): a login agent is never installed for a
// translocated copy; the error says to move the app to /Applications.
func TestTranslocatedRefused(t *testing.T) {
	s := hostile
	s.Executable = "/private/var/folders/x/T/AppTranslocation/1234-ABCD/d/nixpass.app/Contents/MacOS/nixpass"
	m, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Apply()
	if err == nil || !strings.Contains(err.Error(), "/Applications") || !strings.Contains(err.Error(), "AppTranslocation") {
		t.Errorf("Apply from a translocated path = %v, want a refusal naming /Applications", err)
	}
	if err := translocated("/Applications/nixpass.app/Contents/MacOS/nixpass"); err != nil {
		t.Errorf("/Applications refused: %v", err)
	}
}
