package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nixpass/builder/core"
)

// TestPlanStartup (D4): the one table of what a failed start shows.
func TestPlanStartup(t *testing.T) {
	second := fmt.Errorf("%w (pid 4242): quit it first, or use it", core.ErrAlreadyRunning)
	other := errString("bad config")
	for _, tc := range []struct {
		name                   string
		err                    error
		byAgent, terminal, mac bool
		dialog                 bool
		code                   int
		lineHas                string
		appendLog              bool
	}{
		{"agent, second copy", second, true, false, true, false, 0, "leaves the running app be", false},
		{"agent, other error", other, true, false, true, true, 0, "", false},
		{"Finder, second copy: dialog with the PID, exit 1, a log line", second, false, false, true, true, 1, "pid 4242", true},
		{"Finder, other error", other, false, false, true, true, 1, "", false},
		{"terminal, second copy", second, false, true, true, false, 1, "pid 4242", false},
		{"terminal, other error", other, false, true, true, false, 1, "", false},
		{"Linux desktop without a terminal: no dialog", other, false, false, false, false, 1, "", false},
	} {
		got := planStartup(tc.err, tc.byAgent, tc.terminal, tc.mac)
		if got.dialog != tc.dialog || got.code != tc.code || got.appendLog != tc.appendLog || !strings.Contains(got.line, tc.lineHas) || (tc.lineHas == "") != (got.line == "") {
			t.Errorf("%s: plan %+v, want dialog %v, code %d, line with %q, appendLog %v", tc.name, got, tc.dialog, tc.code, tc.lineHas, tc.appendLog)
		}
		if strings.Contains(got.line, "\n") {
			t.Errorf("%s: line %q is more than one line", tc.name, got.line)
		}
	}
	if title, msg := startupAlert(second, false); title != "nixpass is already running" || !strings.Contains(msg, "pid 4242") {
		t.Errorf("second-copy dialog = %q / %q, want the PID", title, msg)
	}
}

// TestIsTerminal (D4): /dev/null, where Finder points stderr, is a
// character device but not a terminal; a pipe is neither.
func TestIsTerminal(t *testing.T) {
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	if st, _ := null.Stat(); st.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("%s is not a character device here", os.DevNull)
	}
	if isTerminal(null) {
		t.Errorf("isTerminal(%s) = true", os.DevNull)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if isTerminal(w) {
		t.Error("isTerminal(pipe) = true")
	}
}

func TestAppendAgentLog(t *testing.T) {
	state := t.TempDir()
	t.Setenv("NIXPASS_STATE_DIR", state)
	appendAgentLog("nixpass: already running (pid 1)")
	appendAgentLog("nixpass: again")
	b, err := os.ReadFile(filepath.Join(state, "logs", "agent.log"))
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(string(b)), "\n"); len(lines) != 2 || !strings.HasSuffix(lines[0], "already running (pid 1)") {
		t.Errorf("agent.log = %q, want two lines", b)
	}
}
