package tray

import (
	"testing"

	"nixpass/builder/agent"
)

// TestServiceManagerWaitsForQuit (m5, N2): launchd's ExitTimeOut and
// systemd's TimeoutStopSec outlast the app's own quit deadline, so a
// logout never kills it in the middle of cancelling a build.
func TestServiceManagerWaitsForQuit(t *testing.T) {
	if agent.ExitTimeout <= quitDeadline {
		t.Errorf("agent.ExitTimeout %s is not longer than quitDeadline %s", agent.ExitTimeout, quitDeadline)
	}
}
