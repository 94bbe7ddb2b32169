//go:build darwin && !cgo

package tray

import (
	"context"
	"errors"
)

// ErrNoTray is returned by this build: the menu-bar library needs cgo on
// macOS, so a binary built with CGO_ENABLED=0 runs headless.
var ErrNoTray = errors.New("built without cgo: the menu-bar icon needs cgo on macOS (build with make app)")

// Available always returns ErrNoTray in a build without cgo.
func Available() error { return ErrNoTray }

// Run always returns ErrNoTray in a build without cgo.
func Run(ctx context.Context, core Core, notify Notifier, logf func(string, ...any)) error {
	return ErrNoTray
}
