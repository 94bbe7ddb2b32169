package build

import (
	"nixpass/builder/clean"
	"nixpass/builder/redact"
)

// cleanText makes text from Nix or the builder safe to show in a terminal,
// a notification or JSON, and to store: the user info of URLs is masked
// (redact.URLs) and escape sequences and control bytes are dropped
// (clean.Text).
func cleanText(s string) string {
	return clean.Text(redact.URLs(s))
}
