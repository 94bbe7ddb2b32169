//go:build darwin && cgo

package tray

import "C"

import "sync/atomic"

var activeTerminator atomic.Pointer[terminator]

func setActiveTerminator(t *terminator) { activeTerminator.Store(t) }

// nixpassShouldTerminate is called by applicationShouldTerminate: on the
// main thread; it never blocks (see terminator.Request).
//
//export nixpassShouldTerminate
func nixpassShouldTerminate() C.int {
	t := activeTerminator.Load()
	if t == nil || t.Request() {
		return 1
	}
	return 0
}
