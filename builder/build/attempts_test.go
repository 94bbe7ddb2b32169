package build

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"nixpass/builder"
	"nixpass/builder/docker/dockertest"
	"nixpass/builder/store"
)

func TestNextAttempt(t *testing.T) {
	tests := []struct {
		name  string
		used  jobs
		kind  builder.Kind
		p     retryPolicy
		want  jobs
		retry bool
	}{
		{"oom halves both", jobs{8, 4}, builder.KindOOM, retryPolicy{}, jobs{4, 2}, true},
		{"odd counts round down", jobs{3, 5}, builder.KindOOM, retryPolicy{}, jobs{1, 2}, true},
		{"never below 1", jobs{1, 2}, builder.KindOOM, retryPolicy{}, jobs{1, 1}, true},
		{"jobs alone", jobs{2, 1}, builder.KindOOM, retryPolicy{}, jobs{1, 1}, true},
		{"1 and 1 is the last", jobs{1, 1}, builder.KindOOM, retryPolicy{}, jobs{}, false},
		{"unknown values go to 1 and 1", jobs{0, 0}, builder.KindOOM, retryPolicy{}, jobs{1, 1}, true},
		{"a build failure is not retried", jobs{8, 4}, builder.KindBuild, retryPolicy{}, jobs{}, false},
		{"a success is not retried", jobs{8, 4}, builder.KindOK, retryPolicy{}, jobs{}, false},
		{"a timeout is not retried", jobs{8, 4}, builder.KindTimeout, retryPolicy{}, jobs{}, false},
		{"a cancel is not retried", jobs{8, 4}, builder.KindCancelled, retryPolicy{}, jobs{}, false},
		{"oom_retry = false", jobs{8, 4}, builder.KindOOM, retryPolicy{Off: true}, jobs{}, false},
		{"max_jobs = 0: remote builders only", jobs{8, 4}, builder.KindOOM, retryPolicy{RemoteOnly: true}, jobs{}, false},
		{"killed on a remote builder", jobs{8, 4}, builder.KindOOM, retryPolicy{Remote: true}, jobs{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, retry := nextAttempt(tt.used, tt.kind, tt.p)
			if got != tt.want || retry != tt.retry {
				t.Errorf("nextAttempt(%v, %s, %+v) = %v, %v; want %v, %v", tt.used, tt.kind, tt.p, got, retry, tt.want, tt.retry)
			}
		})
	}
}

// coresMachine runs attempts like a build whose memory grows with its
// cores: any attempt with more than fits cores (or Nix's own, 4) is
// OOM-killed in its own cgroup; one that fits writes the image. It records
// each attempt's arguments.
type coresMachine struct {
	fits   int
	image  []byte
	calls  [][]string
	memory int64
}

func (m *coresMachine) Describe() string { return "the test machine" }
func (m *coresMachine) Prepare(ctx context.Context, dir string, progress func(string)) (string, error) {
	return dir, nil
}
func (m *coresMachine) Status(ctx context.Context) builder.BuilderStatus {
	return builder.BuilderStatus{}
}
func (m *coresMachine) MemoryBytes() int64 { return m.memory }
func (m *coresMachine) RunScript(ctx context.Context, token string, args []string, stdout, stderr io.Writer) (int, error) {
	m.calls = append(m.calls, args)
	cores := 4
	if i := slices.Index(args, "--cores"); i >= 0 {
		fmt.Sscan(args[i+1], &cores)
	}
	if cores > m.fits {
		fmt.Fprint(stdout, "@nixpass uptime 100\n@nixpass cgroup self /sys/fs/cgroup/memory/b\n@nixpass build-uids 999\n@nixpass user-uid 0\n",
			"@nixpass pool 999 4242 mine /sys/fs/cgroup/memory/b\n@nixpass uptime-end 110\n@nixpass nix-jobs 8 4\n@nixpass kmsg-read dmesg\n",
			"@nixpass kmsg [  101.2] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/b,task_memcg=/b,task=cc1plus,pid=42,uid=999\n",
			"@nixpass kmsg [  101.2] Memory cgroup out of memory: Killed process 42 (cc1plus) total-vm:1kB\n",
			"@nixpass kmsg [  102.0] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/elsewhere,task_memcg=/elsewhere,task=chrome,pid=43,uid=1000\n",
			"@nixpass kmsg [  102.0] Memory cgroup out of memory: Killed process 43 (chrome) total-vm:1kB\n")
		fmt.Fprint(stderr, "building '/nix/store/6i53jg3gyvrnz4h2ca1qdvsi6gbxs1hj-app.drv'...\n",
			"error: builder for '/nix/store/6i53jg3gyvrnz4h2ca1qdvsi6gbxs1hj-app.drv' failed due to signal 9 (Killed)\n")
		return 100, nil
	}
	var dir, output string
	for i := 0; i+1 < len(args); i++ {
		switch args[i] {
		case "--dir":
			dir = args[i+1]
		case "--output":
			output = args[i+1]
		}
	}
	name := tempPrefix(output) + token
	if err := os.WriteFile(filepath.Join(dir, name), m.image, 0o644); err != nil {
		return -1, err
	}
	fmt.Fprintf(stdout, "@nixpass store-path /nix/store/abc-image.tar.gz\n@nixpass temp %s\n", name)
	return 0, nil
}

func testImage(t *testing.T) []byte {
	t.Helper()
	src := filepath.Join(t.TempDir(), "image.tar")
	dockertest.Archive(t, src, "attempts", "nixpass-test-attempts:1")
	return mustRead(t, src)
}

func TestOOMAttempts(t *testing.T) {
	image := testImage(t)
	tests := []struct {
		name     string
		fits     int
		p        builder.Project
		b        Builder
		kind     builder.Kind
		attempts []builder.Attempt // DurationMS not compared
		args     [][]string        // --max-jobs/--cores of each call
		warning  string
	}{
		{"Nix's own values, halved until it fits", 1, builder.Project{}, Builder{}, builder.KindOK,
			[]builder.Attempt{{Kind: builder.KindOOM, MaxJobs: 8, Cores: 4, Memory: 4 << 30}, {Kind: builder.KindOOM, MaxJobs: 4, Cores: 2, Memory: 4 << 30}, {Kind: builder.KindOK, MaxJobs: 2, Cores: 1, Memory: 4 << 30}},
			[][]string{nil, {"--max-jobs", "4", "--cores", "2"}, {"--max-jobs", "2", "--cores", "1"}},
			"built after running out of memory twice, with 2 jobs: set max_jobs = 2 for this project to skip the first attempt"},
		{"the project's values first", 1, builder.Project{MaxJobs: 1, Cores: 2}, Builder{}, builder.KindOK,
			[]builder.Attempt{{Kind: builder.KindOOM, MaxJobs: 1, Cores: 2, Memory: 4 << 30}, {Kind: builder.KindOK, MaxJobs: 1, Cores: 1, Memory: 4 << 30}},
			[][]string{{"--max-jobs", "1", "--cores", "2"}, {"--max-jobs", "1", "--cores", "1"}},
			"built after running out of memory once, with 1 job and 1 core: set cores = 1 for this project to skip the first attempt"},
		{"jobs only", 4, builder.Project{MaxJobs: 2, Cores: 8}, Builder{}, builder.KindOK,
			[]builder.Attempt{{Kind: builder.KindOOM, MaxJobs: 2, Cores: 8, Memory: 4 << 30}, {Kind: builder.KindOK, MaxJobs: 1, Cores: 4, Memory: 4 << 30}},
			[][]string{{"--max-jobs", "2", "--cores", "8"}, {"--max-jobs", "1", "--cores", "4"}},
			"built after running out of memory once, with 1 job: set max_jobs = 1 for this project to skip the first attempt"},
		{"down to 1 and 1, then the OOM stands", 0, builder.Project{MaxJobs: 2, Cores: 2}, Builder{}, builder.KindOOM,
			[]builder.Attempt{{Kind: builder.KindOOM, MaxJobs: 2, Cores: 2, Memory: 4 << 30}, {Kind: builder.KindOOM, MaxJobs: 1, Cores: 1, Memory: 4 << 30}},
			[][]string{{"--max-jobs", "2", "--cores", "2"}, {"--max-jobs", "1", "--cores", "1"}}, ""},
		{"oom_retry = false", 1, builder.Project{}, Builder{NoOOMRetry: true}, builder.KindOOM,
			[]builder.Attempt{{Kind: builder.KindOOM, MaxJobs: 8, Cores: 4, Memory: 4 << 30}}, [][]string{nil}, ""},
		{"max_jobs = 0", 1, builder.Project{}, Builder{RemoteOnly: true}, builder.KindOOM,
			[]builder.Attempt{{Kind: builder.KindOOM, MaxJobs: 8, Cores: 4, Memory: 4 << 30}}, [][]string{nil}, ""},
		{"fits at once", 4, builder.Project{}, Builder{}, builder.KindOK,
			[]builder.Attempt{{Kind: builder.KindOK, Memory: 4 << 30}}, [][]string{nil}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			m := &coresMachine{fits: tt.fits, image: image, memory: 4 << 30}
			b := tt.b
			b.Machine = m
			b.Store = &store.Store{StateDir: filepath.Join(dir, ".state"), LogDir: filepath.Join(dir, ".logs")}
			b.LockPath = filepath.Join(dir, ".lock")
			p := tt.p
			p.Dir, p.File, p.Output = dir, "default.nix", "result.tar.gz"
			res := b.Build(context.Background(), p)
			if res.Kind != tt.kind {
				t.Fatalf("kind %s, want %s: %s", res.Kind, tt.kind, res.Message)
			}
			got := slices.Clone(res.Attempts)
			for i := range got {
				got[i].DurationMS = 0
			}
			if !slices.Equal(got, tt.attempts) {
				t.Errorf("attempts\ngot  %+v\nwant %+v", got, tt.attempts)
			}
			if len(m.calls) != len(tt.args) {
				t.Fatalf("%d script runs, want %d", len(m.calls), len(tt.args))
			}
			for i, call := range m.calls {
				var jc []string
				for j := 0; j < len(call); j++ {
					if call[j] == "--max-jobs" || call[j] == "--cores" {
						jc = append(jc, call[j], call[j+1])
					}
				}
				if !slices.Equal(jc, tt.args[i]) {
					t.Errorf("run %d: jobs arguments %q, want %q", i+1, jc, tt.args[i])
				}
			}
			if res.Warning != tt.warning {
				t.Errorf("warning %q, want %q", res.Warning, tt.warning)
			}
			// The record holds the attempts too, in the JSON field names
			// the issue gives.
			js := strings.TrimSpace(string(mustRead(t, filepath.Join(b.Store.StateDir, "history.jsonl"))))
			var rec struct {
				Attempts []builder.Attempt `json:"attempts"`
			}
			if err := json.Unmarshal([]byte(js), &rec); err != nil || len(rec.Attempts) != len(tt.attempts) ||
				!strings.Contains(js, `"attempts":[{"kind":"`+string(tt.attempts[0].Kind)+`","max_jobs":`) {
				t.Errorf("history record lacks the attempts (%v): %s", err, js)
			}
			// The log holds this build's kill, never the other cgroup's.
			log := string(mustRead(t, res.Log))
			if tt.attempts[0].Kind == builder.KindOOM {
				if !strings.Contains(log, "Killed process 42 (cc1plus)") || strings.Contains(log, "chrome") {
					t.Errorf("log keeps the wrong kernel lines:\n%s", log)
				}
				if !strings.Contains(log, "# kernel evidence: window 100.00-110.00 s since boot, memory cgroups: self /b; 1 OOM kill(s) there kept, 1 elsewhere on the machine left out") {
					t.Errorf("log lacks the window and cgroups:\n%s", log)
				}
			}
		})
	}
}

// TestOOMAttemptsCancelledBetween: a cancel after the first attempt ends
// the build as cancelled, with that attempt on record, and runs no other.
func TestOOMAttemptsCancelledBetween(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m := &coresMachine{fits: 1, image: testImage(t)}
	b := &Builder{Machine: m, Store: &store.Store{StateDir: filepath.Join(dir, ".state"), LogDir: filepath.Join(dir, ".logs")},
		Emit: func(e builder.Event) {
			// The user cancels on seeing the rebuild announced.
			if p, ok := e.(builder.BuildPhase); ok && strings.HasPrefix(p.Detail, "attempt 2: rebuilding with 4 jobs and 2 cores") {
				cancel()
			}
		}}
	res := b.Build(ctx, builder.Project{Dir: dir, File: "default.nix", Output: "result.tar.gz"})
	if res.Kind != builder.KindCancelled || len(m.calls) != 1 {
		t.Fatalf("kind %s after %d runs, want cancelled after 1: %s", res.Kind, len(m.calls), res.Message)
	}
	if len(res.Attempts) != 1 || res.Attempts[0].Kind != builder.KindOOM {
		t.Errorf("attempts %+v, want the one OOM attempt", res.Attempts)
	}
	if _, err := os.Stat(filepath.Join(dir, "result.tar.gz")); err == nil {
		t.Error("a cancelled build wrote the image")
	}
}
