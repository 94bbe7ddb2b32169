package tray

import (
	"context"
	"strings"

	"nixpass/builder/runner"
)

// run runs a desktop helper (xdg-open, osascript, zenity) and returns its
// trimmed output.
func run(ctx context.Context, name string, args ...string) (string, error) {
	res, err := runner.Exec{}.Run(ctx, runner.Cmd{Name: name, Args: args})
	if res == nil {
		return "", err
	}
	return strings.TrimSpace(string(res.Stdout)), err
}
