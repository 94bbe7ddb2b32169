//go:build !(darwin && cgo)

package watch

// newBackend: inotify on Linux; kqueue on a macOS build without cgo.
func newBackend() (backend, error) { return newFsnotify() }
