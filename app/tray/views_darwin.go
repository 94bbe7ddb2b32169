package tray

import (
	"context"

	"nixpass/builder"
)

// revealFile selects path in a Finder window.
func revealFile(ctx context.Context, path string) error {
	_, err := run(ctx, "open", "-R", path)
	return err
}

// showReportFor shows p's failure in the dialog (with its log).
func showReportFor(ctx context.Context, p builder.ProjectStatus, title, text string) error {
	return showReport(ctx, title, text, p.Last.Log)
}
