//go:build darwin && cgo

package notify

// #include <stdlib.h>
import "C"

//export nixpassNoteAuthorized
func nixpassNoteAuthorized(granted C.int) {
	authMu.Lock()
	done := authDone
	authDone = nil
	authMu.Unlock()
	if done != nil {
		done(granted != 0)
	}
}

//export nixpassNotePosted
func nixpassNotePosted(ok C.int) {
	select {
	case posted <- ok != 0:
	default:
	}
}

//export nixpassNoteClicked
func nixpassNoteClicked(log *C.char) {
	if f := onClick; f != nil {
		go f(C.GoString(log))
	}
}

// setClickHandler sets what a click on a notification does.
func setClickHandler(f func(log string)) { onClick = f }
