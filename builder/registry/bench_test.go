package registry

import (
	"context"
	"fmt"
	"testing"
	"time"

	"nixpass/builder/registry/registrytest"
)

// BenchmarkPush pushes an image of 6 layers of 20 MB (random, so
// compression does not shrink it: 120 MB on the wire) to Debian's real
// docker-registry, and prints the three figures docs/pushing.md quotes:
// the first push, an unchanged re-push, and a re-push with one layer
// changed. Run: go test -run '^$' -bench Push -benchtime 3x ./builder/registry/
func BenchmarkPush(b *testing.B) {
	reg := registrytest.Start(b, "", "")
	b.Setenv("DOCKER_CONFIG", b.TempDir())
	const layers, size = 6, 20 << 20
	var first, unchanged, changed time.Duration
	for i := range b.N {
		dir, state := b.TempDir(), b.TempDir()
		ls := make([][]byte, layers)
		for n := range ls {
			ls[n] = layerTar(b, fmt.Sprintf("l%d", n), size)
		}
		file := testImage{tag: "bench:v1", layers: ls}.write(b, dir, "image.tar")
		ref := fmt.Sprintf("%s/bench/run%d", reg.Host, i)
		o := Options{Ref: ref, Images: []Image{{File: file}}, StateDir: state, Version: "bench"}
		push := func(what string, d *time.Duration, wantUploaded int) {
			start := time.Now()
			res, err := Push(context.Background(), o)
			*d += time.Since(start)
			if err != nil {
				b.Fatalf("%s: %v", what, err)
			}
			if res.LayersUploaded != wantUploaded {
				b.Fatalf("%s uploaded %d layers, want %d", what, res.LayersUploaded, wantUploaded)
			}
		}
		push("first push", &first, layers)
		push("unchanged re-push", &unchanged, 0)
		ls[layers-1] = layerTar(b, "changed", size)
		o.Images[0].File = testImage{tag: "bench:v1", layers: ls}.write(b, dir, "image2.tar")
		push("one-layer-changed re-push", &changed, 1)
	}
	n := time.Duration(b.N)
	b.ReportMetric(float64((first / n).Milliseconds()), "first-ms")
	b.ReportMetric(float64((unchanged / n).Milliseconds()), "unchanged-ms")
	b.ReportMetric(float64((changed / n).Milliseconds()), "changed-ms")
	b.ReportMetric(100*float64(unchanged)/float64(first), "unchanged-%-of-first")
	b.Logf("image %d MB: first push %s, unchanged re-push %s (%.1f%%), one layer changed %s",
		layers*size>>20, first/n, unchanged/n, 100*float64(unchanged)/float64(first), changed/n)
}
