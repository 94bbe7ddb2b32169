package watch

import "syscall"

// kqueueFsnotify: fsnotify is kqueue on macOS.
const kqueueFsnotify = true

// platformFDBudget derives the kqueue budget from the soft limit.
func platformFDBudget() int {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) != nil {
		return defaultFDBudget(256)
	}
	return defaultFDBudget(l.Cur)
}
