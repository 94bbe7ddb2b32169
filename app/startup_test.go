package main

import (
	"strings"
	"testing"
)

// TestStartupErrorUnderAgent: a bad config makes `nixpass app` exit 1
// from a terminal, but 0 when the login agent started it, so
// KeepAlive {SuccessfulExit: false} (Restart=on-failure) does not
// relaunch it forever; both times the error names the file and key.
func TestStartupErrorUnderAgent(t *testing.T) {
	w := newWorld(t)
	w.writeConfig("[builder]\nbogus = 1\n")
	w.env = append(w.env, "DBUS_SESSION_BUS_ADDRESS=", "XPC_SERVICE_NAME=", "NIXPASS_AGENT=")
	o := w.run("app")
	if o.code != 1 || !strings.Contains(o.stderr, "bogus") {
		t.Fatalf("from a terminal: want exit 1 naming the key:\n%v", o)
	}
	w.env = append(w.env, "NIXPASS_AGENT=1")
	o = w.run("app")
	if o.code != 0 || !strings.Contains(o.stderr, "bogus") || !strings.Contains(o.stderr, "does not start it again") {
		t.Fatalf("under the agent: want exit 0, the error and why it exits 0:\n%v", o)
	}
}

// TestSecondCopyUnderAgentLeavesQuietly: the agent's copy finding the app
// already running exits 0 without a dialog.
func TestSecondCopyUnderAgentLeavesQuietly(t *testing.T) {
	w := newWorld(t)
	w.writeConfig("[builder]\nbackend = \"local\"\n")
	w.env = append(w.env, "DBUS_SESSION_BUS_ADDRESS=")
	w.startHeadless()
	w.env = append(w.env, "NIXPASS_AGENT=1")
	o := w.run("app")
	if o.code != 0 || !strings.Contains(o.stderr, "already running") || !strings.Contains(o.stderr, "leaves the running app be") {
		t.Fatalf("want exit 0 and a note:\n%v", o)
	}
}

func TestStartupAlertText(t *testing.T) {
	title, msg := startupAlert(errString("create state folder: permission denied"), true)
	if title != "nixpass could not start" || !strings.Contains(msg, "permission denied") || !strings.Contains(msg, "writable") || !strings.Contains(msg, "agent.log") {
		t.Errorf("alert = %q / %q", title, msg)
	}
}

type errString string

func (e errString) Error() string { return string(e) }
