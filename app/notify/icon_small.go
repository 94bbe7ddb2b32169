package notify

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"

	"github.com/google/renameio/v2"

	"nixpass/assets"
)

// SmallIconSize is the side of the icon handed to beeep: beeep decodes the
// PNG and encodes an .icns on every notification for terminal-notifier's
// -appIcon (which macOS 11 and later ignore anyway), so a 1024-pixel icon
// cost about 0.16 s of CPU per notification (BenchmarkBeeepIcon).
const SmallIconSize = 64

// WriteSmallIcon makes sure dir/app-icon-64.png is the app icon scaled
// down to SmallIconSize and returns its path; it rewrites the file only
// when it differs.
func WriteSmallIcon(dir string) (string, error) {
	small, err := scaleDown(assets.AppIconPNG(), SmallIconSize)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, fmt.Sprintf("app-icon-%d.png", SmallIconSize))
	if cur, err := os.ReadFile(path); err == nil && bytes.Equal(cur, small) {
		return path, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	return path, renameio.WriteFile(path, small, 0o644)
}

// scaleDown decodes a square PNG and averages it down to size×size (box
// filter; the app icon is 1024 px, a multiple of 64).
func scaleDown(pngData []byte, size int) ([]byte, error) {
	src, err := png.Decode(bytes.NewReader(pngData))
	if err != nil {
		return nil, fmt.Errorf("app icon: %w", err)
	}
	b := src.Bounds()
	dst := image.NewNRGBA(image.Rect(0, 0, size, size))
	for y := 0; y < size; y++ {
		y0, y1 := b.Min.Y+y*b.Dy()/size, b.Min.Y+(y+1)*b.Dy()/size
		for x := 0; x < size; x++ {
			x0, x1 := b.Min.X+x*b.Dx()/size, b.Min.X+(x+1)*b.Dx()/size
			var r, g, bl, a, n uint64
			for sy := y0; sy < y1; sy++ {
				for sx := x0; sx < x1; sx++ {
					c := color.NRGBA64Model.Convert(src.At(sx, sy)).(color.NRGBA64)
					// Premultiply so transparent pixels do not darken edges.
					r += uint64(c.R) * uint64(c.A)
					g += uint64(c.G) * uint64(c.A)
					bl += uint64(c.B) * uint64(c.A)
					a += uint64(c.A)
					n++
				}
			}
			if n == 0 {
				continue
			}
			px := color.NRGBA{}
			if a > 0 {
				px = color.NRGBA{R: uint8(r / a >> 8), G: uint8(g / a >> 8), B: uint8(bl / a >> 8), A: uint8(a / n >> 8)}
			}
			dst.SetNRGBA(x, y, px)
		}
	}
	var out bytes.Buffer
	if err := png.Encode(&out, dst); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
