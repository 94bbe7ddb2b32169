package watch

import (
	"os"
	"strings"
)

func procValue(name string) string {
	b, err := os.ReadFile("/proc/sys/fs/inotify/" + name)
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(b))
}

func watchLimitHint() string {
	return "out of inotify watches (fs.inotify.max_user_watches=" + procValue("max_user_watches") +
		"): raise it with: sudo sysctl fs.inotify.max_user_watches=524288 (and add it to /etc/sysctl.conf), or ignore big folders in .gitignore"
}

func fdLimitHint() string {
	return "out of inotify instances or file descriptors (fs.inotify.max_user_instances=" + procValue("max_user_instances") +
		"): raise it with: sudo sysctl fs.inotify.max_user_instances=1024, or ulimit -n"
}

func permissionHint() string {
	return "check that your user may read the folder (ls -ld it)"
}
