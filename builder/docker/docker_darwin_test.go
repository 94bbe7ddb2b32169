package docker

import (
	"strings"
	"testing"
)

// On a Mac the engine is an app or colima's VM: the hints name them and
// never a system service.
func TestDockerHintsDarwin(t *testing.T) {
	for cause, want := range map[dockerCause]string{
		causeMissing:    "Docker Desktop, OrbStack or colima",
		causeDown:       "open -a Docker",
		causePermission: "Docker Desktop, OrbStack or colima",
	} {
		h := dockerHint(cause, "docker")
		if !strings.Contains(h, want) {
			t.Errorf("hint %q lacks %q", h, want)
		}
		for _, linux := range []string{"systemctl", "apt-get", "usermod"} {
			if strings.Contains(h, linux) {
				t.Errorf("macOS hint %q names %s", h, linux)
			}
		}
	}
}
