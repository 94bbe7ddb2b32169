package notify

import (
	"bytes"
	"os"
	"path/filepath"

	"github.com/google/renameio/v2"

	"nixpass/assets"
)

// WriteIcon makes sure dir/app-icon.png is the app icon (a PNG, which
// beeep converts for terminal-notifier's -appIcon) and returns its path;
// it rewrites the file only when it differs.
func WriteIcon(dir string) (string, error) {
	path := filepath.Join(dir, "app-icon.png")
	icon := assets.AppIconPNG()
	if cur, err := os.ReadFile(path); err == nil && bytes.Equal(cur, icon) {
		return path, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	return path, renameio.WriteFile(path, icon, 0o600)
}
