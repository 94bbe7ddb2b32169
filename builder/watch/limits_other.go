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
