package notify

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"testing"

	"github.com/jackmordaunt/icns/v3"

	"nixpass/assets"
)

// TestWriteSmallIcon (m4): beeep gets a 64-pixel PNG of the app icon,
// written once, that still looks like the icon (its average colour).
func TestWriteSmallIcon(t *testing.T) {
	dir := t.TempDir()
	path, err := WriteSmallIcon(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if s := img.Bounds().Size(); s.X != SmallIconSize || s.Y != SmallIconSize {
		t.Errorf("icon is %v, want %dx%d", s, SmallIconSize, SmallIconSize)
	}
	big, _ := png.Decode(bytes.NewReader(assets.AppIconPNG()))
	if got, want := avg(img), avg(big); diff(got, want) > 4 {
		t.Errorf("average colour %v, the original's %v", got, want)
	}
	st, _ := os.Stat(path)
	if _, err := WriteSmallIcon(dir); err != nil {
		t.Fatal(err)
	}
	if st2, _ := os.Stat(path); !st2.ModTime().Equal(st.ModTime()) {
		t.Error("an unchanged icon was rewritten")
	}
}

// avg is the alpha-weighted average colour of img, 0..255 per channel.
func avg(img image.Image) [4]float64 {
	var sum [4]float64
	var w float64
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			a := float64(c.A)
			sum[0] += float64(c.R) * a
			sum[1] += float64(c.G) * a
			sum[2] += float64(c.B) * a
			sum[3] += a
			w++
		}
	}
	if sum[3] == 0 {
		return [4]float64{}
	}
	return [4]float64{sum[0] / sum[3], sum[1] / sum[3], sum[2] / sum[3], sum[3] / w}
}

func diff(a, b [4]float64) float64 {
	m := 0.0
	for i := range a {
		m = math.Max(m, math.Abs(a[i]-b[i]))
	}
	return m
}

// BenchmarkBeeepIcon is the work beeep does per notification on macOS
// (decode the PNG, encode an .icns for terminal-notifier), for the
// 1024-pixel app icon and the 64-pixel one nixpass now hands it.
func BenchmarkBeeepIcon(b *testing.B) {
	small, err := scaleDown(assets.AppIconPNG(), SmallIconSize)
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		png  []byte
	}{{"1024px", assets.AppIconPNG()}, {"64px", small}} {
		b.Run(tc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				img, err := png.Decode(bytes.NewReader(tc.png))
				if err != nil {
					b.Fatal(err)
				}
				if err := icns.Encode(io.Discard, img); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
