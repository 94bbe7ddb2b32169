package multipass

import (
	"errors"

	"nixpass/builder/shq"
)

// Hint says what the user should do about err, a failure of a Client
// method, or returns "" when nothing specific applies.
func Hint(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrNotInstalled):
		return "install Multipass: brew install --cask multipass (https://multipass.run)"
	case errors.Is(err, ErrDaemonUnavailable):
		return "start Multipass (open -a Multipass, or sudo launchctl kickstart -k system/com.canonical.multipassd) and try again"
	case errors.Is(err, ErrSocketDenied):
		return "your user may not use the Multipass socket: get read/write access to it (be in its group), or restart Multipass, then try again"
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
	case errors.Is(err, ErrMountSource):
		return "check that the folder exists and that Multipass may read it (macOS: give multipassd Full Disk Access in System Settings > Privacy & Security)"
	case errors.Is(err, ErrExecFailed):
		return "the VM stopped answering over SSH: check it with nixpass vm status, and restart it if needed: " + shq.Join("multipass", "restart", instanceOf(err))
	case errors.Is(err, ErrUsage):
		return "this is a nixpass bug (the multipass CLI rejected its arguments): please report it"
	}
	return ""
}

// instanceOf names the instance an *Error is about, or a placeholder.
func instanceOf(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Instance != "" {
		return e.Instance
	}
	return "NAME"
}
