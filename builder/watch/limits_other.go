//go:build !linux

package watch

func watchLimitHint() string {
	return "out of file watches: ignore big folders in .gitignore"
}

// On macOS without cgo fsnotify uses kqueue, which holds one file
// descriptor per watched file and folder. ulimit -n means nothing to an
// app started from Finder or launchd, and Go already raised the soft
// limit to kern.maxfilesperproc at start (and restores it for children),
// so nixpass never touches the limit itself.
func fdLimitHint() string {
	return "out of file descriptors (kqueue keeps one per watched file): ignore big folders in .gitignore, or use the app built with cgo (make app), which watches with FSEvents; " +
		"the system limits are kern.maxfilesperproc and kern.maxfiles (sysctl; launchctl limit maxfiles)"
}

// permissionHint: on macOS a folder under ~/Documents, ~/Desktop,
// ~/Downloads or iCloud Drive needs a privacy (TCC) grant for nixpass
// itself, which watches it, besides Multipass's own.
func permissionHint() string {
	return "macOS did not let nixpass read it: allow nixpass in System Settings › Privacy & Security › Files and Folders (or Full Disk Access), or keep the project outside ~/Documents, ~/Desktop and iCloud Drive"
}
