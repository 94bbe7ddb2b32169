package tray

import "time"

// quitDeadline bounds Quit: cancelling a VM build can take 40 s (the
// in-VM cancel and its grace), and with on_quit = "finish" a build may
// run for up to the build timeout; the app still goes away.
const quitDeadline = 60 * time.Second

// quitWithin runs quit and waits at most d for it; it reports whether
// quit returned in time.
func quitWithin(quit func(), d time.Duration) bool {
	done := make(chan struct{})
	go func() { quit(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

// slotCount is how many project submenus the menu is built with for n
// projects: room for a few more, so adding one rarely rebuilds the menu.
func slotCount(n int) int { return max(8, n+4) }
