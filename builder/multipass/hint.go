package multipass

import (
	"errors"

	"nixpass/builder/shq"
)

// Hint says what the user should do about err, a failure of a Client
// method, for this program's OS, or returns "" when nothing specific
// applies.
func Hint(err error) string { return HintFor(err, hostOS) }

// HintFor is Hint for the OS goos ("darwin" or "linux") the hint is
// shown on: Multipass is a Homebrew cask and a launchd daemon on macOS,
// a snap on Linux.
func HintFor(err error, goos string) string {
	mac := goos == "darwin"
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrNotInstalled) && mac:
		return "install Multipass: brew install --cask multipass (https://multipass.run)"
	case errors.Is(err, ErrNotInstalled):
		return "install Multipass: sudo snap install multipass (https://multipass.run)"
	case errors.Is(err, ErrDaemonUnavailable) && mac:
		return "start Multipass (open -a Multipass, or sudo launchctl kickstart -k system/com.canonical.multipassd) and try again"
	case errors.Is(err, ErrDaemonUnavailable):
		return "start Multipass (sudo snap start multipass, or sudo snap restart multipass) and try again"
	case errors.Is(err, ErrSocketDenied) && !mac:
		return "your user may not use the Multipass socket (/var/snap/multipass/common/multipass_socket): join the group that owns it (sudo or adm) and log in again, or restart Multipass (sudo snap restart multipass), then try again"
	case errors.Is(err, ErrSocketDenied):
		return socketDeniedHint
	case errors.Is(err, ErrInstanceMissing):
		return "create it with: nixpass vm create"
	case errors.Is(err, ErrInstanceDeleted):
		return "recover it with: " + shq.Join("multipass", "recover", instanceOf(err)) + " (or drop it for good with multipass purge, then: nixpass vm create)"
	case errors.Is(err, ErrAlreadyExists):
		return "use the existing VM, or delete it first: nixpass vm delete --yes (a deleted one also needs: multipass purge)"
	case errors.Is(err, ErrMustBeStopped):
		return "stop the VM first: nixpass vm stop"
	case errors.Is(err, ErrInvalidSize):
		return "give sizes like 4G or 40G: memory at least 512M, disk at least 1G, and a disk can only grow"
	case errors.Is(err, ErrMountSource) && !mac:
		return "check that the folder exists and that the Multipass snap may read it (folders outside your home need: sudo snap connect multipass:removable-media, or multipass set local.privileged-mounts=true)"
	case errors.Is(err, ErrMountSource):
		return MountReadHint
	case errors.Is(err, ErrExecFailed):
		return "the VM stopped answering over SSH: check it with nixpass vm status, and restart it if needed: " + shq.Join("multipass", "restart", instanceOf(err))
	case errors.Is(err, ErrUsage):
		return "this is a nixpass bug (the multipass CLI rejected its arguments): please report it"
	}
	return ""
}

// MountReadHint is the hint for a folder Multipass cannot mount or read.
// On macOS, folders under ~/Documents, ~/Desktop, ~/Downloads and iCloud
// Drive are behind privacy (TCC) grants, and both multipassd and the
// sshfs_server it runs for each mount need them.
const MountReadHint = "check that the folder exists and that Multipass may read it (macOS: in System Settings › Privacy & Security › Full Disk Access, allow both multipassd and sshfs_server, found in /Library/Application Support/com.canonical.multipass/bin, then restart Multipass; or keep the project outside ~/Documents, ~/Desktop and iCloud Drive)"

// instanceOf names the instance an *Error is about, or a placeholder.
func instanceOf(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Instance != "" {
		return e.Instance
	}
	return "NAME"
}
