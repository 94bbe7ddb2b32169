package watch

import "github.com/fsnotify/fsnotify"

// backend is the operating system's change feed, the one thing that
// differs between platforms; the ignore rules, the debounce and the
// missing-folder handling above it are the same for all.
//
// Two kinds exist: per-folder backends (fsnotify: inotify on Linux,
// kqueue on macOS without cgo), where the Watcher adds every folder it
// wants and ignored folders are never watched; and recursive ones
// (FSEvents on macOS with cgo), where Add of a project's root covers its
// whole tree and the Watcher filters events inside ignored folders.
type backend interface {
	// Add starts watching dir (and, when Recursive, everything below it).
	Add(dir string) error
	// Remove stops watching dir.
	Remove(dir string) error
	// Events delivers changes; it is closed by Close.
	Events() <-chan fsnotify.Event
	// Errors delivers the backend's own failures; it is closed by Close.
	Errors() <-chan error
	// Close stops the backend and closes both channels.
	Close() error
	// Recursive reports whether Add covers a whole tree.
	Recursive() bool
	// PerEntryFDs reports whether the backend holds a file descriptor per
	// entry of each watched folder (kqueue), so a budget applies.
	PerEntryFDs() bool
}

// fsnotifyBackend is fsnotify: one watch per folder.
type fsnotifyBackend struct {
	w      *fsnotify.Watcher
	kqueue bool
}

var _ backend = (*fsnotifyBackend)(nil)

func newFsnotify() (backend, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	return &fsnotifyBackend{w: w, kqueue: kqueueFsnotify}, nil
}

func (b *fsnotifyBackend) Add(dir string) error          { return b.w.Add(dir) }
func (b *fsnotifyBackend) Remove(dir string) error       { return b.w.Remove(dir) }
func (b *fsnotifyBackend) Events() <-chan fsnotify.Event { return b.w.Events }
func (b *fsnotifyBackend) Errors() <-chan error          { return b.w.Errors }
func (b *fsnotifyBackend) Close() error                  { return b.w.Close() }
func (b *fsnotifyBackend) Recursive() bool               { return false }
func (b *fsnotifyBackend) PerEntryFDs() bool             { return b.kqueue }
