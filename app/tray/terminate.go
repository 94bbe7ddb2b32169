package tray

import "sync"

// terminator answers AppKit's "may nixpass terminate now?" on its
// terminate path (logout, shutdown, the cask's `quit:`, and the Quit item
// via systray.Quit) without blocking the main thread: the first request
// starts stopping the builds in the background and answers "later"; when
// they have stopped (quit is bounded by quitDeadline), reply tells AppKit
// to go on. A request once the builds are stopped answers "now".
type terminator struct {
	// quit stops the builds; it returns within the quit deadline.
	quit func()
	// reply lets AppKit terminate (replyToApplicationShouldTerminate:).
	reply func()

	mu    sync.Mutex
	state termState
}

type termState int

const (
	termIdle     termState = iota // nothing asked yet
	termStopping                  // builds being stopped; a reply is due
	termStopped                   // builds stopped: terminate at once
)

// Request is applicationShouldTerminate: it reports whether AppKit may
// terminate now; when not, reply is called once the builds are stopped.
// It never blocks.
func (t *terminator) Request() (now bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch t.state {
	case termStopped:
		return true
	case termStopping:
		return false
	}
	t.state = termStopping
	go func() {
		t.quit()
		t.mu.Lock()
		t.state = termStopped
		t.mu.Unlock()
		t.reply()
	}()
	return false
}

// Stopped records that the builds were stopped another way (the Quit
// item stops them before it asks AppKit to terminate).
func (t *terminator) Stopped() {
	t.mu.Lock()
	t.state = termStopped
	t.mu.Unlock()
}
