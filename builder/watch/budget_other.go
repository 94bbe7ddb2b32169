//go:build !darwin

package watch

// kqueueFsnotify: fsnotify is inotify here, which costs no descriptor per
// file (its own limit is fs.inotify.max_user_watches).
const kqueueFsnotify = false

// platformFDBudget: no budget without kqueue.
func platformFDBudget() int { return 0 }
