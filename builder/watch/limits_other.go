//go:build !linux

package watch

import "syscall"

func watchLimitHint() string {
	return "out of file watches: ignore big folders in .gitignore"
}

// On macOS fsnotify uses kqueue, which holds one file descriptor per
// watched file and folder: fdLimitHint and raiseFileLimit are about that.
func fdLimitHint() string {
	return "out of file descriptors (kqueue keeps one per watched file): raise the limit with ulimit -n, or ignore big folders in .gitignore"
}

// raiseFileLimit lifts the soft descriptor limit to the hard one, so large
// trees can be watched with kqueue.
func raiseFileLimit() {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) == nil && l.Cur < l.Max {
		l.Cur = l.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	}
}
