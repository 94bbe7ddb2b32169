// Package assets holds nixpass's icons, embedded: menu-bar icons for each
// state (a black-and-alpha template for macOS, which tints it for light
// and dark menu bars, and a colour one for Linux trays) and the app icon.
package assets

import "embed"

//go:generate go run ./gen -out .

//go:embed *.png
var files embed.FS

// Icon is a menu-bar state.
type Icon int

// The menu-bar states.
const (
	Idle Icon = iota
	Building
	Failed
	Stopped
)

var names = map[Icon]string{Idle: "idle", Building: "building", Failed: "failed", Stopped: "stopped"}

// Name is the state's file name part.
func (i Icon) Name() string { return names[i] }

func read(name string) []byte {
	b, err := files.ReadFile(name)
	if err != nil {
		panic("assets: missing " + name)
	}
	return b
}

// Template returns the 44x44 macOS template PNG of i (black and alpha).
func Template(i Icon) []byte { return read("tray-" + i.Name() + "-template.png") }

// Color returns the 44x44 colour PNG of i, for Linux trays.
func Color(i Icon) []byte { return read("tray-" + i.Name() + ".png") }

// AppIconPNG returns the 1024x1024 app icon.
func AppIconPNG() []byte { return read("app-icon.png") }
