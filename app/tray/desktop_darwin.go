//go:build darwin

package tray

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"nixpass/builder/config"
	"nixpass/builder/runner"
)

func openFile(ctx context.Context, path string) error {
	_, err := run(ctx, "open", "-t", path)
	return err
}

func reveal(ctx context.Context, dir string) error {
	_, err := run(ctx, "open", dir)
	return err
}

// osascript runs an AppleScript that reads its inputs from argv, so no
// user data is ever spliced into the script text. It activates nixpass
// first: a dialog of a menu-bar app otherwise opens behind the front
// window, and the user sees nothing after the menu closes.
func osascript(ctx context.Context, script []string, args ...string) (string, error) {
	argv := []string{"-e", "on run argv", "-e", "activate"}
	for _, line := range script {
		argv = append(argv, "-e", line)
	}
	return run(ctx, "osascript", append(append(argv, "-e", "end run"), args...)...)
}

func pickFolder(ctx context.Context) (string, error) {
	out, err := osascript(ctx, []string{`POSIX path of (choose folder with prompt "Add a project to nixpass")`})
	if isCancel(err) {
		return "", nil
	}
	return strings.TrimSuffix(out, "/"), err
}

func confirm(ctx context.Context, question string) (bool, error) {
	_, err := osascript(ctx, []string{`display dialog (item 1 of argv) buttons {"Cancel", "Delete"} default button "Cancel" with icon caution`}, question)
	if isCancel(err) {
		return false, nil
	}
	return err == nil, err
}

// openShell writes a .command file running the Multipass at mp and opens
// it with Terminal: no Apple Events, so no -1743 "not authorized" and no
// Automation prompt.
func openShell(ctx context.Context, mp, vm string) error {
	dir, err := config.StateDir()
	if err != nil {
		return err
	}
	path, err := writeShellCommand(dir, mp, vm)
	if err != nil {
		return err
	}
	_, err = run(ctx, "open", "-a", "Terminal", path)
	return err
}

// showReport shows a failure in full in a dialog, with a button that
// opens the log.
func showReport(ctx context.Context, title, text, log string) error {
	buttons := `buttons {"OK"} default button "OK"`
	if log != "" {
		buttons = `buttons {"Open log", "OK"} default button "OK"`
	}
	out, err := osascript(ctx, []string{
		`set r to display dialog (item 2 of argv) with title (item 1 of argv) ` + buttons + ` with icon stop`,
		`return button returned of r`,
	}, title, text)
	if err != nil || out != "Open log" {
		return err
	}
	return openFile(ctx, log)
}

// isCancel: osascript exits 1 when the user pressed Cancel (-128).
func isCancel(err error) bool {
	var xe *runner.ExitError
	return errors.As(err, &xe) && strings.Contains(xe.Stderr, "-128")
}

// checkDesktop runs headless when there is no Aqua session, e.g. over SSH.
func checkDesktop() error {
	mgr, err := run(context.Background(), "launchctl", "managername")
	if p := aquaProblem(os.Getenv("SSH_CONNECTION"), mgr, err); p != "" {
		return fmt.Errorf("%w: %s", ErrNoTray, p)
	}
	return nil
}
