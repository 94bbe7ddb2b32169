package agent

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/kardianos/service"
)

const serviceName = "nixpass"

// platformFile renders the unit; kardianos writes a user service to
// ~/.config/systemd/user/<name>.service.
func platformFile(s Spec) ([]byte, string, string, error) {
	text, err := RenderSystemd(s)
	if err != nil {
		return nil, "", "", err
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return nil, "", "", err
	}
	return text, filepath.Join(home, ".config", "systemd", "user", serviceName+".service"), "SystemdScript", nil
}

// supported refuses machines without systemd: kardianos would otherwise
// fall back to a system-wide init script.
func supported() error {
	if service.ChosenSystem() == nil || service.ChosenSystem().String() != "linux-systemd" {
		return errors.New("no systemd on this machine, so no login agent: start nixpass from your desktop's autostart (~/.config/autostart) instead")
	}
	return nil
}

// platformLaunchd: kardianos manages the systemd unit.
func platformLaunchd(string, []byte) *Launchd { return nil }
