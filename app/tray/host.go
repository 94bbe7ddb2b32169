package tray

import "errors"

// ErrNoTrayHost means there is a desktop session but nothing in it shows
// tray icons: on Linux, no StatusNotifierWatcher on the session bus (stock
// GNOME without the AppIndicator extension). Notifications still work, so
// the caller keeps building and notifying without an icon.
var ErrNoTrayHost = errors.New("no system-tray host on this desktop (nothing owns org.kde.StatusNotifierWatcher on the session bus; on GNOME, install and enable the AppIndicator extension, e.g. sudo apt-get install gnome-shell-extension-appindicator, then log in again and restart nixpass app): building and notifying without an icon")
