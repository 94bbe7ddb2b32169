package tray

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/godbus/dbus/v5"

	"nixpass/builder"
	"nixpass/builder/config"
	"nixpass/builder/runner"
	"nixpass/builder/shq"
	"nixpass/builder/tools"
)

// checkDesktop makes sure a session bus answers (systray.Quit panics when
// there was none) and that a tray host is on it: without one the library
// only logs a raw registration error and shows nothing.
func checkDesktop() error {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		return ErrNoTray
	}
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNoTray, err)
	}
	defer conn.Close()
	var has bool
	err = conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, "org.kde.StatusNotifierWatcher").Store(&has)
	if err == nil && !has {
		return ErrNoTrayHost
	}
	return nil
}

// errNoOpener is what every "Show…" item says without xdg-open.
var errNoOpener = errors.New("nothing to open files with: install xdg-utils (sudo apt-get install xdg-utils)")

func openFile(ctx context.Context, path string) error {
	if _, err := exec.LookPath("xdg-open"); err != nil {
		return errNoOpener
	}
	_, err := run(ctx, "xdg-open", path)
	return err
}

func reveal(ctx context.Context, dir string) error { return openFile(ctx, dir) }

// revealFile opens the folder that holds path.
func revealFile(ctx context.Context, path string) error { return openFile(ctx, filepath.Dir(path)) }

// showReportFor writes p's failure report to its own file in the state
// folder (same-named folders never share one) and opens it.
func showReportFor(ctx context.Context, p builder.ProjectStatus, title, text string) error {
	dir, err := config.StateDir()
	if err != nil {
		return err
	}
	path, err := writeReport(dir, reportName(p.Path), title, text)
	if err != nil {
		return fmt.Errorf("show last error: %w", err)
	}
	return openFile(ctx, path)
}

// pickFolder asks for a folder with zenity or kdialog.
func pickFolder(ctx context.Context) (string, error) {
	if _, err := exec.LookPath("zenity"); err == nil {
		out, err := run(ctx, "zenity", "--file-selection", "--directory", "--title=Add a project to nixpass")
		if isCancel(err) {
			return "", nil
		}
		return out, err
	}
	if _, err := exec.LookPath("kdialog"); err == nil {
		out, err := run(ctx, "kdialog", "--getexistingdirectory", os.Getenv("HOME"))
		if isCancel(err) {
			return "", nil
		}
		return out, err
	}
	return "", errors.New("no folder picker (zenity or kdialog) is installed: add projects with: nixpass add DIR")
}

func confirm(ctx context.Context, question string) (bool, error) {
	if _, err := exec.LookPath("zenity"); err != nil {
		return false, errors.New("no dialog tool (zenity) to confirm with: use nixpass vm delete --yes")
	}
	_, err := run(ctx, "zenity", "--question", "--text", question)
	if isCancel(err) {
		return false, nil
	}
	return err == nil, err
}

func openShell(ctx context.Context, mp, vm string) error {
	for _, term := range []string{"x-terminal-emulator", "gnome-terminal", "konsole", "xterm"} {
		if _, err := tools.Default().Find(term); err == nil {
			_, err := run(ctx, term, "-e", mp, "shell", vm)
			return err
		}
	}
	return errors.New("no terminal found: run " + shq.Join(mp, "shell", vm))
}

func isCancel(err error) bool {
	var xe *runner.ExitError
	return errors.As(err, &xe) && xe.Code == 1
}
