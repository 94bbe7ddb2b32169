//go:build darwin && !cgo

package notify

// newCenter: a build without cgo cannot reach UNUserNotificationCenter.
func newCenter() Center { return nil }

func setClickHandler(func(string)) {}
