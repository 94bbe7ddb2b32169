//go:build darwin

package tray

import (
	"context"
	"errors"
	"strings"

	"nixpass/builder/runner"
)

// checkDesktop: a macOS login session always has a menu bar.
func checkDesktop() error { return nil }

func openFile(ctx context.Context, path string) error {
	_, err := run(ctx, "open", "-t", path)
	return err
}

func reveal(ctx context.Context, dir string) error {
	_, err := run(ctx, "open", dir)
	return err
}

// osascript runs an AppleScript that reads its inputs from argv, so no
// user data is ever spliced into the script text.
func osascript(ctx context.Context, script string, args ...string) (string, error) {
	return run(ctx, "osascript", append([]string{"-e", "on run argv", "-e", script, "-e", "end run"}, args...)...)
}

func pickFolder(ctx context.Context) (string, error) {
	out, err := osascript(ctx, `POSIX path of (choose folder with prompt "Add a project to nixpass")`)
	if isCancel(err) {
		return "", nil
	}
	return strings.TrimSuffix(out, "/"), err
}

func confirm(ctx context.Context, question string) (bool, error) {
	_, err := osascript(ctx, `display dialog (item 1 of argv) buttons {"Cancel", "Delete"} default button "Cancel" with icon caution`, question)
	if isCancel(err) {
		return false, nil
	}
	return err == nil, err
}

func openShell(ctx context.Context, vm string) error {
	_, err := osascript(ctx, `tell application "Terminal" to do script "multipass shell " & quoted form of (item 1 of argv)`, vm)
	if err == nil {
		_, _ = osascript(ctx, `tell application "Terminal" to activate`)
	}
	return err
}

// isCancel: osascript exits 1 when the user pressed Cancel (-128).
func isCancel(err error) bool {
	var xe *runner.ExitError
	return errors.As(err, &xe) && strings.Contains(xe.Stderr, "-128")
}
