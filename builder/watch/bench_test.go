package watch

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

// makeTree writes files spread over folders of 100 files each.
func makeTree(b *testing.B, root string, files int) {
	b.Helper()
	for i := 0; i < files; i++ {
		dir := filepath.Join(root, fmt.Sprintf("d%03d", i/100))
		if i%100 == 0 {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				b.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%d", i)), nil, 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWatchSetup100k: a 100,000-file tree whose node_modules (90,000
// files) .gitignore ignores. Reports the watches held: ignored folders
// must get none.
func BenchmarkWatchSetup100k(b *testing.B) {
	root := b.TempDir()
	makeTree(b, filepath.Join(root, "src"), 10_000)
	makeTree(b, filepath.Join(root, "node_modules"), 90_000)
	os.WriteFile(filepath.Join(root, ".gitignore"), []byte("node_modules/\n"), 0o644)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w, err := New(Options{})
		if err != nil {
			b.Fatal(err)
		}
		if err := w.Add(Spec{Dir: root}); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(w.WatchCount()), "watches")
		w.Close()
	}
}

// BenchmarkBurst10k: 10,000 writes within a second to one project give
// one trigger; writes to the output give none.
func BenchmarkBurst10k(b *testing.B) {
	for i := 0; i < b.N; i++ {
		root := b.TempDir()
		w, _ := New(Options{Quiet: 500 * time.Millisecond, MaxWait: 5 * time.Second})
		w.Add(Spec{Dir: root, Output: "result.tar.gz"})
		for j := 0; j < 10_000; j++ {
			os.WriteFile(filepath.Join(root, fmt.Sprintf("f%d", j%100)), []byte{byte(j)}, 0o644)
			os.WriteFile(filepath.Join(root, "result.tar.gz"), []byte{byte(j)}, 0o644)
		}
		n := 0
		timeout := time.After(1500 * time.Millisecond)
	loop:
		for {
			select {
			case <-w.Triggers():
				n++
			case <-timeout:
				break loop
			}
		}
		b.ReportMetric(float64(n), "triggers")
		w.Close()
	}
}

// BenchmarkLatency: from the last write to the trigger, with the default
// 500ms quiet period; reports the median.
func BenchmarkLatency(b *testing.B) {
	root := b.TempDir()
	w, _ := New(Options{Quiet: 500 * time.Millisecond, MaxWait: 5 * time.Second})
	defer w.Close()
	w.Add(Spec{Dir: root})
	var lat []time.Duration
	for i := 0; i < b.N; i++ {
		for j := 0; j < 10; j++ {
			os.WriteFile(filepath.Join(root, "f"), []byte{byte(j)}, 0o644)
		}
		last := time.Now()
		<-w.Triggers()
		lat = append(lat, time.Since(last))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "ms-median")
}
