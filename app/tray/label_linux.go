package tray

import (
	"strings"

	"fyne.io/systray"
)

// menuLabel is a menu line as dbusmenu must receive it: '_' marks the
// next letter as the access key there, so "my_api" would show as "myapi"
// with the 'a' underlined; "__" is a literal underscore. Only menu labels
// are escaped: the tooltip, notifications and reports are plain text.
func menuLabel(s string) string { return strings.ReplaceAll(s, "_", "__") }

// setIdentity names the StatusNotifierItem before the tray starts: its
// Title, and the Id the library derives from it (otherwise a per-run
// "systray_<pid>"), so panels can list and remember nixpass.
func setIdentity() { systray.SetTitle("nixpass") }
