// Command gen draws nixpass's icons: the menu-bar state icons (a black and
// alpha template for macOS, a colour one for Linux trays) and the app
// icon. It is deterministic, so the committed PNGs can be checked against
// a fresh run. Usage: go run ./gen -out DIR
package main

import (
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
)

// shape reports coverage (0..1) of the glyph at (x, y) in unit space.
type shape func(x, y float64) bool

// container is a shipping container: an outlined box with ribs.
func container(x, y float64) bool {
	const l, r, t, b, w = 0.12, 0.88, 0.28, 0.78, 0.07
	in := x >= l && x <= r && y >= t && y <= b
	inner := x >= l+w && x <= r-w && y >= t+w && y <= b-w
	if in && !inner {
		return true
	}
	for _, rx := range []float64{0.34, 0.5, 0.66} {
		if inner && math.Abs(x-rx) < 0.03 {
			return true
		}
	}
	return false
}

func dot(cx, cy, rad float64) shape {
	return func(x, y float64) bool { return (x-cx)*(x-cx)+(y-cy)*(y-cy) <= rad*rad }
}

func ring(cx, cy, r1, r2 float64) shape {
	return func(x, y float64) bool {
		d := (x-cx)*(x-cx) + (y-cy)*(y-cy)
		return d <= r2*r2 && d >= r1*r1
	}
}

func cross(cx, cy, size, w float64) shape {
	return func(x, y float64) bool {
		dx, dy := x-cx, y-cy
		if math.Abs(dx) > size || math.Abs(dy) > size {
			return false
		}
		return math.Abs(dx-dy) < w || math.Abs(dx+dy) < w
	}
}

func slash(x, y float64) bool {
	return math.Abs((x-0.1)-(y-0.1)) < 0.06 && x > 0.08 && x < 0.92
}

// states: glyph plus a mark in the top-right corner.
var states = map[string]struct {
	mark   shape
	cut    shape // area cleared around the mark, so it reads at 22px
	colour color.NRGBA
	hollow bool
}{
	"idle":     {nil, nil, color.NRGBA{0x7d, 0x85, 0x90, 0xff}, false},
	"building": {ring(0.8, 0.2, 0.09, 0.17), dot(0.8, 0.2, 0.22), color.NRGBA{0x3b, 0x82, 0xf6, 0xff}, false},
	"failed":   {cross(0.8, 0.2, 0.14, 0.06), dot(0.8, 0.2, 0.22), color.NRGBA{0xef, 0x44, 0x44, 0xff}, false},
	"stopped":  {slash, nil, color.NRGBA{0xb8, 0x73, 0x00, 0xff}, true},
}

// The colours above are mid-tones (relative luminance 0.21 to 0.24):
// each reaches 3:1 against black, Xfce's #353535, Adwaita's #F6F5F4 and
// white, so a Linux panel of any shade shows the glyph
// (assets_test.go checks it on the files).

const ss = 4 // supersampling per axis

// render draws glyph in fg. hard makes every pixel fully opaque or fully
// transparent (half covered or more is opaque): fyne.io/systray v1.12.2
// converts partly transparent pixels wrongly on Linux (it sends the low
// byte of Go's 16-bit premultiplied colour), and the panel scales the
// icon anyway.
func render(size int, fg color.NRGBA, glyph shape, cut, mark shape, hard bool) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for py := 0; py < size; py++ {
		for px := 0; px < size; px++ {
			hits := 0
			for sy := 0; sy < ss; sy++ {
				for sx := 0; sx < ss; sx++ {
					x := (float64(px) + (float64(sx)+0.5)/ss) / float64(size)
					y := (float64(py) + (float64(sy)+0.5)/ss) / float64(size)
					on := glyph(x, y)
					if cut != nil && cut(x, y) {
						on = false
					}
					if mark != nil && mark(x, y) {
						on = true
					}
					if on {
						hits++
					}
				}
			}
			if hard && hits*2 < ss*ss {
				hits = 0
			} else if hard {
				hits = ss * ss
			}
			if hits > 0 {
				c := fg
				c.A = uint8(int(fg.A) * hits / (ss * ss))
				img.SetNRGBA(px, py, c)
			}
		}
	}
	return img
}

func appIcon(size int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	glyph := render(size, color.NRGBA{0xff, 0xff, 0xff, 0xff}, func(x, y float64) bool {
		return container((x-0.5)/0.7+0.5, (y-0.5)/0.7+0.5)
	}, nil, nil, false)
	r := 0.18 * float64(size)
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			// Rounded square, blue gradient top to bottom.
			fx, fy := float64(x)+0.5, float64(y)+0.5
			cx := math.Max(r, math.Min(float64(size)-r, fx))
			cy := math.Max(r, math.Min(float64(size)-r, fy))
			if (fx-cx)*(fx-cx)+(fy-cy)*(fy-cy) > r*r {
				continue
			}
			t := fy / float64(size)
			bg := color.NRGBA{uint8(0x2b - 0x10*t), uint8(0x7d - 0x30*t), uint8(0xe9 - 0x40*t), 0xff}
			g := glyph.NRGBAAt(x, y)
			a := float64(g.A) / 255
			img.SetNRGBA(x, y, color.NRGBA{
				uint8(float64(bg.R)*(1-a) + 255*a), uint8(float64(bg.G)*(1-a) + 255*a), uint8(float64(bg.B)*(1-a) + 255*a), 0xff})
		}
	}
	return img
}

func save(dir, name string, img image.Image) error {
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		return err
	}
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func main() {
	out := flag.String("out", ".", "folder to write the PNGs to")
	flag.Parse()
	for name, st := range states {
		glyph := shape(container)
		if st.hollow {
			glyph = func(x, y float64) bool { return container(x, y) && !(x > 0.19 && x < 0.81 && y > 0.35 && y < 0.71) }
		}
		if err := save(*out, "tray-"+name+"-template.png", render(44, color.NRGBA{0, 0, 0, 0xff}, glyph, st.cut, st.mark, false)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if err := save(*out, "tray-"+name+".png", render(44, st.colour, glyph, st.cut, st.mark, true)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	if err := save(*out, "app-icon.png", appIcon(1024)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
