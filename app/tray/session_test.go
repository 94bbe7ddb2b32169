package tray

import (
	"errors"
	"testing"
)

func TestAquaProblem(t *testing.T) {
	for _, tc := range []struct {
		ssh, manager string
		err          error
		headless     bool
	}{
		{"", "Aqua\n", nil, false},
		{"10.0.0.2 5555 10.0.0.1 22", "Aqua", nil, false}, // SSH into a Mac whose user is logged in: launchctl asks the session
		{"10.0.0.2 5555 10.0.0.1 22", "StandardIO\n", nil, true},
		{"", "Background", nil, true},
		{"10.0.0.2 5555 10.0.0.1 22", "", errors.New("no launchctl"), true},
		{"", "", errors.New("no launchctl"), false},
	} {
		if got := aquaProblem(tc.ssh, tc.manager, tc.err); (got != "") != tc.headless {
			t.Errorf("ssh=%q manager=%q err=%v: aquaProblem = %q, want headless %v", tc.ssh, tc.manager, tc.err, got, tc.headless)
		}
	}
}
