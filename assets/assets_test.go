package assets

import (
	"bytes"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

var all = []Icon{Idle, Building, Failed, Stopped}

func TestStateIcons(t *testing.T) {
	seen := map[string]Icon{}
	for _, i := range all {
		for kind, b := range map[string][]byte{"template": Template(i), "color": Color(i)} {
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("%s %s: %v", i.Name(), kind, err)
			}
			r := img.Bounds()
			if r.Dx() < 32 || r.Dx() != r.Dy() {
				t.Errorf("%s %s is %v, want square and at least 32px", i.Name(), kind, r)
			}
			opaque, colours := 0, map[[3]uint32]bool{}
			for y := r.Min.Y; y < r.Max.Y; y++ {
				for x := r.Min.X; x < r.Max.X; x++ {
					cr, cg, cb, ca := img.At(x, y).RGBA()
					if ca == 0 {
						continue
					}
					opaque++
					if kind == "template" && (cr != 0 || cg != 0 || cb != 0) {
						t.Fatalf("%s template has a non-black pixel at %d,%d", i.Name(), x, y)
					}
					colours[[3]uint32{cr * 0xffff / ca, cg * 0xffff / ca, cb * 0xffff / ca}] = true
				}
			}
			if opaque < 50 {
				t.Errorf("%s %s is nearly empty (%d pixels)", i.Name(), kind, opaque)
			}
			if kind == "color" && len(colours) < 1 {
				t.Errorf("%s colour icon has no colour", i.Name())
			}
			key := string(b)
			if other, dup := seen[key]; dup {
				t.Errorf("%s %s is the same image as %s", i.Name(), kind, other.Name())
			}
			seen[key] = i
		}
	}
	if _, err := png.Decode(bytes.NewReader(AppIconPNG())); err != nil {
		t.Errorf("app icon: %v", err)
	}
}

func TestGeneratorIsDeterministic(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("go", "run", "./gen", "-out", dir).CombinedOutput(); err != nil {
		t.Fatalf("go run ./gen: %v\n%s", err, out)
	}
	names, _ := filepath.Glob(filepath.Join(dir, "*.png"))
	if len(names) != 9 {
		t.Fatalf("generated %d files, want 9", len(names))
	}
	for _, n := range names {
		want, err := files.ReadFile(filepath.Base(n))
		if err != nil {
			t.Fatalf("%s is not embedded", filepath.Base(n))
		}
		got, _ := os.ReadFile(n)
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from a fresh generation: run go generate ./assets", filepath.Base(n))
		}
	}
}
