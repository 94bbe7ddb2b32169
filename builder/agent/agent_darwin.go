package agent

import (
	"os"
	"path/filepath"
)

const serviceName = Label

// platformFile renders the LaunchAgent; kardianos writes it to
// ~/Library/LaunchAgents/<label>.plist for a user service.
func platformFile(s Spec) ([]byte, string, string, error) {
	text, err := RenderLaunchd(s)
	if err != nil {
		return nil, "", "", err
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return nil, "", "", err
	}
	return text, filepath.Join(home, "Library", "LaunchAgents", Label+".plist"), "LaunchdConfig", nil
}

func supported() error { return nil }

// platformLaunchd: on macOS the plist is installed and removed with
// launchctl directly (see Launchd).
func platformLaunchd(path string, text []byte) *Launchd { return NewLaunchd(path, text) }
