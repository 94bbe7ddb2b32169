package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"nixpass/builder"
	"nixpass/builder/store"
)

// vmHWM is the peak resident memory of pid in bytes, from /proc (0 when
// the process is gone).
func vmHWM(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// TestBuildMemoryFlatWithHugeLog builds, on real Nix, derivations that
// print 200 MB: in lines, and as one line without a newline. nixpass's
// own peak memory (sampled from /proc while it runs, so Nix's memory
// does not count) stays bounded, and the stored log is capped keeping
// its header, its tail and nixpass's own lines, with one cut marker.
func TestBuildMemoryFlatWithHugeLog(t *testing.T) {
	needNix(t)
	const size = 200 << 20
	const bound = 96 << 20
	tests := []struct {
		name, prepare string
		// cut is how the stored log shows what was left out.
		cut string
	}{
		{"lines", fmt.Sprintf(`"$bb" echo nixpass-log-start; "$bb" yes 'noise line of a chatty builder 0123456789' | "$bb" head -c %d; "$bb" echo nixpass-log-end`, size),
			builder.LogCutPrefix},
		{"one line", fmt.Sprintf(`"$bb" echo nixpass-log-start; "$bb" yes 'x' | "$bb" head -c %d | "$bb" tr -d '\n'; "$bb" echo; "$bb" echo nixpass-log-end`, size),
			"more bytes of this line left out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			// A new tag each run: Nix must build (and log) it again.
			dir := w.project("chatty", imageNix(fmt.Sprintf("e2e-biglog-%d", time.Now().UnixNano()), tt.prepare))
			cmd := w.command("build", dir, "--json")
			// The CLI prints Nix's log on stderr: the test keeps its end.
			var out bytes.Buffer
			errb := &tailWriter{max: 16 << 10}
			cmd.Stdout, cmd.Stderr = &out, errb
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			var peak int64
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			tick := time.NewTicker(50 * time.Millisecond)
			defer tick.Stop()
		wait:
			for {
				select {
				case err := <-done:
					if err != nil {
						t.Fatalf("build: %v\n%s\n%s", err, out.String(), errb.String())
					}
					break wait
				case <-tick.C:
					peak = max(peak, vmHWM(cmd.Process.Pid))
				}
			}
			o := outcome{stdout: out.String(), stderr: errb.String()}
			if err := json.Unmarshal(out.Bytes(), &o.res); err != nil || o.res.Kind != builder.KindOK {
				t.Fatalf("want a good build, got %v", o)
			}
			t.Logf("peak RSS of nixpass build with a %d MB log (%s): %.1f MB", size>>20, tt.name, float64(peak)/(1<<20))
			if peak == 0 || peak > bound {
				t.Errorf("peak RSS %d bytes, want (0, %d]", peak, bound)
			}
			log := readFile(t, o.res.Log)
			if int64(len(log)) > store.LogCap+64<<10 {
				t.Errorf("stored log is %d bytes, want at most about %d", len(log), store.LogCap)
			}
			for _, want := range []string{"nixpass-log-start", "nixpass-log-end", tt.cut, "# nixpass: succeeded"} {
				if !bytes.Contains(log, []byte(want)) {
					t.Errorf("stored log lacks %q", want)
				}
			}
			if n := bytes.Count(log, []byte(tt.cut)); n != 1 {
				t.Errorf("stored log has %d %q, want 1", n, tt.cut)
			}
		})
	}
}

// tailWriter keeps the last max bytes written to it.
type tailWriter struct {
	max int
	b   []byte
}

func (w *tailWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	if len(w.b) > 2*w.max {
		w.b = append([]byte(nil), w.b[len(w.b)-w.max:]...)
	}
	return len(p), nil
}

func (w *tailWriter) String() string { return string(w.b) }
