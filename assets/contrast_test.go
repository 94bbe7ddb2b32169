package assets

import (
	"bytes"
	"image/png"
	"math"
	"testing"
)

// luminance is WCAG 2's relative luminance of an 8-bit sRGB colour.
func luminance(r, g, b uint8) float64 {
	lin := func(c uint8) float64 {
		v := float64(c) / 255
		if v <= 0.03928 {
			return v / 12.92
		}
		return math.Pow((v+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}

func contrast(a, b float64) float64 { return (math.Max(a, b) + 0.05) / (math.Min(a, b) + 0.05) }

// Panels nixpass's colour icons must show on: black, Xfce's default
// #353535, Adwaita's #F6F5F4 and white.
var panels = []struct {
	name    string
	r, g, b uint8
}{{"#000000", 0, 0, 0}, {"#353535", 0x35, 0x35, 0x35}, {"#F6F5F4", 0xf6, 0xf5, 0xf4}, {"#FFFFFF", 0xff, 0xff, 0xff}}

// TestColourIconsReadOnEveryPanel: every state's colour glyph reaches
// 3:1 (WCAG) against each panel colour with at least 40% of its opaque
// pixels, and has only fully opaque or fully transparent pixels (the
// Linux tray library converts partial alpha wrongly).
func TestColourIconsReadOnEveryPanel(t *testing.T) {
	for _, i := range all {
		img, err := png.Decode(bytes.NewReader(Color(i)))
		if err != nil {
			t.Fatal(err)
		}
		r := img.Bounds()
		var lums []float64
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				cr, cg, cb, ca := img.At(x, y).RGBA()
				switch ca {
				case 0:
					continue
				case 0xffff:
				default:
					t.Fatalf("%s: pixel %d,%d has alpha %d/65535, want 0 or opaque", i.Name(), x, y, ca)
				}
				lums = append(lums, luminance(uint8(cr>>8), uint8(cg>>8), uint8(cb>>8)))
			}
		}
		for _, p := range panels {
			bg := luminance(p.r, p.g, p.b)
			n := 0
			for _, l := range lums {
				if contrast(l, bg) >= 3 {
					n++
				}
			}
			if got := float64(n) / float64(len(lums)); got < 0.4 {
				t.Errorf("%s on %s: %.0f%% of the opaque pixels reach 3:1, want at least 40%%", i.Name(), p.name, got*100)
			}
		}
	}
}

// The check itself: the old idle slate on Xfce's panel was 1.39:1.
func TestContrastFormula(t *testing.T) {
	got := contrast(luminance(0x44, 0x4b, 0x55), luminance(0x35, 0x35, 0x35))
	if math.Abs(got-1.39) > 0.01 {
		t.Errorf("contrast(#444B55, #353535) = %.2f, want 1.39", got)
	}
}
