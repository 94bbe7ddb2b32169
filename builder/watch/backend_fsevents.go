//go:build darwin && cgo

package watch

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsevents"
	"github.com/fsnotify/fsnotify"
)

// newBackend: FSEvents, one stream per project tree and no descriptor
// per file (kqueue's cost, see docs/configuration.md "How builds are triggered").
func newBackend() (backend, error) { return newFSEvents(), nil }

// fseventsLatency is how long FSEvents coalesces before delivering; the
// Watcher's own debounce (quiet, max_wait) comes on top.
const fseventsLatency = 50 * time.Millisecond

type fseventsBackend struct {
	events chan fsnotify.Event
	errs   chan error

	mu      sync.Mutex
	streams map[string]*stream
	closed  bool
	wg      sync.WaitGroup
}

type stream struct {
	es   *fsevents.EventStream
	done chan struct{}
}

var _ backend = (*fseventsBackend)(nil)

func newFSEvents() *fseventsBackend {
	return &fseventsBackend{events: make(chan fsnotify.Event, 1024), errs: make(chan error, 16), streams: map[string]*stream{}}
}

func (b *fseventsBackend) Add(dir string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return errors.New("fsevents: closed")
	}
	if _, ok := b.streams[dir]; ok {
		return nil
	}
	if _, err := os.Stat(dir); err != nil {
		return err
	}
	s := &stream{
		es: &fsevents.EventStream{
			Paths:   []string{dir},
			Latency: fseventsLatency,
			// FileEvents: one event per file, as inotify gives; WatchRoot:
			// a RootChanged event when the project folder itself moves.
			Flags:  fsevents.FileEvents | fsevents.WatchRoot,
			Events: make(chan []fsevents.Event, 64),
		},
		done: make(chan struct{}),
	}
	if err := s.es.Start(); err != nil {
		return err
	}
	b.streams[dir] = s
	b.wg.Add(1)
	go b.forward(dir, s)
	return nil
}

// forward turns FSEvents batches into fsnotify-style events until the
// stream is stopped. It keeps draining while Stop runs, since the
// FSEvents callback blocks until its batch is received.
func (b *fseventsBackend) forward(root string, s *stream) {
	defer b.wg.Done()
	for {
		select {
		case <-s.done:
			return
		case batch := <-s.es.Events:
			for _, e := range batch {
				for _, ev := range translate(root, e) {
					select {
					case b.events <- ev:
					case <-s.done:
						return
					}
				}
			}
		}
	}
}

// translate maps one FSEvents event to the fsnotify operations the
// Watcher understands.
func translate(root string, e fsevents.Event) []fsnotify.Event {
	name := e.Path
	if !filepath.IsAbs(name) {
		name = "/" + name
	}
	f := e.Flags
	switch {
	case f&fsevents.RootChanged != 0:
		return []fsnotify.Event{{Name: root, Op: fsnotify.Remove}}
	case f&fsevents.MustScanSubDirs != 0:
		// Events were coalesced (or dropped): something below name changed.
		return []fsnotify.Event{{Name: name, Op: fsnotify.Write}}
	}
	var op fsnotify.Op
	if f&fsevents.ItemCreated != 0 {
		op |= fsnotify.Create
	}
	if f&fsevents.ItemRemoved != 0 {
		op |= fsnotify.Remove
	}
	if f&fsevents.ItemRenamed != 0 {
		op |= fsnotify.Rename
	}
	if f&(fsevents.ItemModified|fsevents.ItemInodeMetaMod|fsevents.ItemXattrMod|fsevents.ItemChangeOwner|fsevents.ItemFinderInfoMod) != 0 {
		if f&fsevents.ItemModified != 0 {
			op |= fsnotify.Write
		} else {
			op |= fsnotify.Chmod
		}
	}
	if op == 0 {
		op = fsnotify.Write
	}
	return []fsnotify.Event{{Name: name, Op: op}}
}

func (b *fseventsBackend) Remove(dir string) error {
	b.mu.Lock()
	s, ok := b.streams[dir]
	delete(b.streams, dir)
	b.mu.Unlock()
	if ok {
		b.stop(s)
	}
	return nil
}

// stop stops a stream while its forwarder still drains, then ends the
// forwarder.
func (b *fseventsBackend) stop(s *stream) {
	stopped := make(chan struct{})
	go func() {
		for {
			select {
			case <-stopped:
				return
			case <-s.es.Events:
			}
		}
	}()
	s.es.Stop()
	close(stopped)
	close(s.done)
}

func (b *fseventsBackend) Events() <-chan fsnotify.Event { return b.events }
func (b *fseventsBackend) Errors() <-chan error          { return b.errs }
func (b *fseventsBackend) Recursive() bool               { return true }
func (b *fseventsBackend) PerEntryFDs() bool             { return false }

func (b *fseventsBackend) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	streams := b.streams
	b.streams = map[string]*stream{}
	b.mu.Unlock()
	for _, s := range streams {
		b.stop(s)
	}
	b.wg.Wait()
	close(b.events)
	close(b.errs)
	return nil
}
