package build

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// padding is n bytes of log lines no rule reads, for the front of a log.
func padding(n int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "nixpass test padding line %08d: nothing to see here\n", i)
	}
	return b.Bytes()
}

// TestExplainReaderVerdictOfTheTail: for every captured Nix log, the
// streamed verdict on the log padded at the front with more than the
// window equals the verdict on the log itself; with nixpass's
// kernel-evidence lines at the very front, it equals the verdict on those
// lines followed by the log (issue 19, item 6). Every fixture runs with a
// 64 KiB window (the property does not depend on its size, and a streamed
// verdict reads the whole window: 180 of them at 2 MiB took minutes under
// -race); one fixture per Nix version runs with the real 2 MiB window.
func TestExplainReaderVerdictOfTheTail(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "diagnose", "testdata", "*", "*.txt"))
	if len(files) < 20 {
		t.Fatalf("found %d captured logs, want the diagnose fixtures", len(files))
	}
	evidence := "# kmsg-read dmesg\n# kmsg [ 12.5] Out of memory: Killed process 4242 (busybox) total-vm:1000kB\n# oom-count before 1 /proc/vmstat\n# oom-count after 2 /proc/vmstat\n"
	ctx := context.Background()
	real := explainTail
	t.Cleanup(func() { explainTail = real })
	fullWindow := map[string]bool{}
	for _, f := range files {
		log, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		version := filepath.Base(filepath.Dir(f))
		name := version + "/" + filepath.Base(f)
		windows := []int{64 << 10}
		if !fullWindow[version] {
			fullWindow[version] = true
			windows = append(windows, real)
		}
		for _, window := range windows {
			explainTail = window
			pad := string(padding(window + window/2))
			for _, tc := range []struct {
				what      string
				in, equiv string
			}{
				{"padded", pad + string(log), string(log)},
				{"evidence, then padded", evidence + pad + string(log), evidence + string(log)},
			} {
				got, err := ExplainReader(ctx, nil, strings.NewReader(tc.in))
				if err != nil {
					t.Fatal(err)
				}
				want := Explain(ctx, nil, tc.equiv)
				if got.Kind != want.Kind || got.Message != want.Message || got.Hint != want.Hint {
					t.Errorf("%s, %s, %d KiB window: streamed verdict %s %q, want %s %q", name, tc.what, window>>10, got.Kind, got.Message, want.Kind, want.Message)
				}
			}
		}
	}
}

func TestLogTailKeepsTheEndAndTheEvidence(t *testing.T) {
	in := "# kmsg early\n" + string(padding(5<<20)) + "# oom-count after 3 /proc/vmstat\nlast line\n"
	got, err := logTail(strings.NewReader(in), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(got, []byte("# kmsg early\n")) || !bytes.HasSuffix(got, []byte("# oom-count after 3 /proc/vmstat\nlast line\n")) {
		t.Errorf("tail lost the evidence or the end: %q … %q", got[:40], got[len(got)-60:])
	}
	if len(got) > 1<<20+64 {
		t.Errorf("tail is %d bytes, want at most the window and the evidence", len(got))
	}
	// A line longer than the window is not an error.
	if _, err := logTail(strings.NewReader(strings.Repeat("x", 3<<20)), 1<<20); err != nil {
		t.Errorf("one long line: %v", err)
	}
}

// BenchmarkExplainLargeLog prints the peak heap and the time of explaining
// logs of 10 and 50 MiB (an OOM failure at the end): the goal is under
// 40 MiB for 50 MiB, and time linear in the size.
func BenchmarkExplainLargeLog(b *testing.B) {
	tailLog, err := os.ReadFile(filepath.Join("..", "diagnose", "testdata", "2.8", "build-exit.txt"))
	if err != nil {
		b.Skip("fixture missing: ", err)
	}
	for _, mib := range []int{10, 50} {
		b.Run(fmt.Sprintf("%dMiB", mib), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "build.log")
			if err := os.WriteFile(path, append(padding(mib<<20), tailLog...), 0o644); err != nil {
				b.Fatal(err)
			}
			var peak uint64
			var took time.Duration
			for i := 0; i < b.N; i++ {
				runtime.GC()
				var before runtime.MemStats
				runtime.ReadMemStats(&before)
				f, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				stop := make(chan struct{})
				done := make(chan uint64)
				go func() { // sample the heap while explaining
					var m runtime.MemStats
					var max uint64
					for {
						runtime.ReadMemStats(&m)
						if m.HeapInuse > max {
							max = m.HeapInuse
						}
						select {
						case <-stop:
							done <- max
							return
						case <-time.After(time.Millisecond):
						}
					}
				}()
				start := time.Now()
				if _, err := ExplainReader(context.Background(), nil, f); err != nil {
					b.Fatal(err)
				}
				took += time.Since(start)
				close(stop)
				if p := <-done; p > peak {
					peak = p
				}
				f.Close()
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(took.Milliseconds())/float64(b.N), "ms/explain")
		})
	}
}
