package tray

import "strings"

// aquaProblem says why a macOS process has no GUI (Aqua) session to show
// the menu bar in, or "" when it has one: NSApplication would otherwise
// abort ("FAILED TO establish the default connection to the
// WindowServer"). sshConnection is $SSH_CONNECTION; manager is the
// output of `launchctl managername` ("Aqua" in a login session,
// "Background" or "StandardIO" over SSH), mErr its error.
func aquaProblem(sshConnection, manager string, mErr error) string {
	m := strings.TrimSpace(manager)
	switch {
	case mErr == nil && m == "Aqua":
		return ""
	case mErr == nil:
		return "no macOS login session here (launchctl managername: " + m + ")"
	case sshConnection != "":
		return "started over SSH, outside the macOS login session"
	}
	// launchctl could not be asked: assume the common case, a desktop.
	return ""
}
