//go:build !darwin

package docker

import (
	"strings"
	"testing"
)

// On Linux the engine is a system service: the hints say how to start
// it and join its group, and never send the user to a Mac app.
func TestDockerHintsLinux(t *testing.T) {
	for cause, want := range map[dockerCause]string{
		causeMissing:    "sudo apt-get install docker.io",
		causeDown:       "sudo systemctl start docker",
		causePermission: "sudo usermod -aG docker ",
	} {
		h := dockerHint(cause, "docker")
		if !strings.Contains(h, want) {
			t.Errorf("hint %q lacks %q", h, want)
		}
		for _, mac := range []string{"Docker Desktop", "OrbStack", "colima", "brew"} {
			if strings.Contains(h, mac) {
				t.Errorf("Linux hint %q names %s", h, mac)
			}
		}
	}
	if h := dockerHint(causePermission, "docker"); !strings.Contains(h, "log out and in again") {
		t.Errorf("permission hint %q does not say the group needs a new login", h)
	}
}
