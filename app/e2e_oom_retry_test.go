package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nixpass/builder"
)

// coresHungry is a build step whose memory grows with NIX_BUILD_CORES:
// awk doubles a string until it holds NIX_BUILD_CORES × 40 MB, which
// peaks near 100 MB at 1 core and 200 MB at 2 (the doubling keeps the
// old string while it makes the new one).
const coresHungry = `n=$NIX_BUILD_CORES; echo "building with $n core(s)"; "$bb" awk -v n="$n" 'BEGIN { s = "xxxxxxxxxxxxxxxx"; while (length(s) < n * 40000000) s = s s; print length(s) }'`

// TestBuildOOMRetryWithFewerCores: a build killed by the kernel for lack of
// memory at 2 cores is rebuilt at once with 1, which fits; the result and
// the history show both attempts, the CLI says how to skip the first, and
// the log keeps only this build's kernel lines. As root (nix-build forks
// the builder in nixpass's cgroup) and as a user through nix-daemon (its
// own daemon in the cgroup).
func TestBuildOOMRetryWithFewerCores(t *testing.T) {
	for _, e := range []*nixEnv{hostEnv, userEnv} {
		t.Run(e.name, func(t *testing.T) {
			w := newWorldIn(t, e)
			dir := w.project("app", imageNix(fmt.Sprintf("e2e-oom-retry-%d", rand.IntN(1e9)), coresHungry))
			w.writeConfig(fmt.Sprintf("[builder]\nbackend = \"local\"\n\n[[project]]\npath = %q\nmax_jobs = 1\ncores = 2\n", dir))
			w.limitMemory(180 << 20)
			o := w.run("build", dir, "--json")
			if o.code != 0 || o.res.Kind != builder.KindOK {
				log, _ := os.ReadFile(o.res.Log)
				t.Fatalf("want a success after a retry, got %v\nlog:\n%s", o, log)
			}
			want := []struct {
				kind           builder.Kind
				maxJobs, cores int
			}{{builder.KindOOM, 1, 2}, {builder.KindOK, 1, 1}}
			if len(o.res.Attempts) != len(want) {
				t.Fatalf("attempts %+v, want %v", o.res.Attempts, want)
			}
			for i, a := range o.res.Attempts {
				if a.Kind != want[i].kind || a.MaxJobs != want[i].maxJobs || a.Cores != want[i].cores || a.Memory != 0 || a.DurationMS <= 0 {
					t.Errorf("attempt %d: %+v, want %+v (memory 0 for local, a duration)", i+1, a, want[i])
				}
			}
			note := "built after running out of memory once, with 1 job and 1 core: set cores = 1 for this project to skip the first attempt"
			if o.res.Warning != note {
				t.Errorf("warning %q, want %q", o.res.Warning, note)
			}
			// The image is the second attempt's, in place.
			if _, err := os.Stat(filepath.Join(dir, "result.tar.gz")); err != nil {
				t.Errorf("no image after the retry: %v", err)
			}
			noTemps(t, dir)
			// Nix ran with the cores it was given: the builder said so.
			log := string(readFile(t, o.res.Log))
			for _, s := range []string{"building with 2 core(s)", "building with 1 core(s)", "# attempt 2: rebuilding with 1 job and 1 core after running out of memory"} {
				if !strings.Contains(log, s) {
					t.Errorf("log lacks %q:\n%s", s, log)
				}
			}
			// The log holds only kills in the build's own cgroups.
			for _, l := range strings.Split(log, "\n") {
				if strings.HasPrefix(l, "# kmsg ") && strings.Contains(l, "oom-kill:") && !strings.Contains(l, "nixpass-test-") {
					t.Errorf("log keeps another cgroup's kill: %s", l)
				}
			}
			if !strings.Contains(log, "# kernel evidence: window ") {
				t.Errorf("log lacks the kernel evidence header:\n%s", log)
			}
			// The history line holds both attempts.
			hist := readFile(t, filepath.Join(w.state, "history.jsonl"))
			lines := strings.Split(strings.TrimSpace(string(hist)), "\n")
			var rec builder.Result
			if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rec); err != nil || len(rec.Attempts) != 2 || rec.Attempts[0].Kind != builder.KindOOM {
				t.Errorf("history's last record: %v %+v", err, rec.Attempts)
			}
			if e != hostEnv {
				return
			}
			// The text form says it too.
			w.setNix(dir, imageNix(fmt.Sprintf("e2e-oom-retry-%d", rand.IntN(1e9)), coresHungry))
			o = w.run("build", dir)
			if o.code != 0 || !strings.Contains(o.stderr, note) {
				t.Errorf("text form lacks %q:\n%v", note, o)
			}
		})
	}
}
