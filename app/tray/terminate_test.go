package tray

import (
	"sync/atomic"
	"testing"
	"time"
)

// TestTerminatorNeverBlocks (m5): AppKit's "may I terminate?" is answered
// at once; the first request starts stopping the builds in the background
// and replies once they have stopped; a request after that (or after the
// Quit item stopped them) answers "now"; the reply comes exactly once.
func TestTerminatorNeverBlocks(t *testing.T) {
	release := make(chan struct{})
	var quits, replies atomic.Int32
	replied := make(chan struct{}, 4)
	tm := &terminator{
		quit:  func() { quits.Add(1); <-release },
		reply: func() { replies.Add(1); replied <- struct{}{} },
	}
	for i := 0; i < 3; i++ {
		start := time.Now()
		if now := tm.Request(); now {
			t.Fatalf("request %d: terminate now while builds run", i)
		}
		if d := time.Since(start); d > 100*time.Millisecond {
			t.Fatalf("request %d blocked for %s", i, d)
		}
	}
	select {
	case <-replied:
		t.Fatal("replied before the builds stopped")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	select {
	case <-replied:
	case <-time.After(2 * time.Second):
		t.Fatal("no reply after the builds stopped")
	}
	if !tm.Request() {
		t.Error("a request after the builds stopped does not terminate now")
	}
	if quits.Load() != 1 || replies.Load() != 1 {
		t.Errorf("quit ran %d times, reply %d times; want 1 and 1", quits.Load(), replies.Load())
	}

	// The Quit item stops the builds first: AppKit then terminates at once.
	tm2 := &terminator{quit: func() { t.Error("quit ran twice") }, reply: func() { t.Error("replied") }}
	tm2.Stopped()
	if !tm2.Request() {
		t.Error("after Stopped, Request = later")
	}
}

// TestTerminateEndsWithinDeadline (m5): a quit whose builds do not stop
// still replies once quitWithin's deadline passes.
func TestTerminateEndsWithinDeadline(t *testing.T) {
	replied := make(chan struct{})
	tm := &terminator{
		quit:  func() { quitWithin(func() { select {} }, 50*time.Millisecond) },
		reply: func() { close(replied) },
	}
	tm.Request()
	select {
	case <-replied:
	case <-time.After(2 * time.Second):
		t.Fatal("no reply past the deadline")
	}
}
