package build

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"nixpass/builder"
	"nixpass/builder/script"
	"nixpass/builder/store"
)

// keeper is a scriptMachine on which nixpass keeps free space (the VM).
type keeper struct{ scriptMachine }

func (keeper) FreeSpace() (int64, int64) { return 1 << 30, 2 << 30 }

// TestDiskFullRetryRules: which failures are retried with a collection.
func TestDiskFullRetryRules(t *testing.T) {
	full := &builder.Error{Kind: builder.KindDiskFull, Message: "the builder VM ran out of disk space"}
	withFree := []string{"build", "--min-free", "1", "--max-free", "2"}
	tests := []struct {
		name    string
		vm      bool
		code    int
		failure error
		args    []string
		retry   bool
	}{
		{"VM store or build folder full", true, 1, full, withFree, true},
		{"VM, already retried", true, 1, full, append(slices.Clone(withFree), "--collect"), false},
		{"VM, host disk full while copying the image", true, script.ExitDiskFull, full, withFree, false},
		{"VM, another failure", true, 1, &builder.Error{Kind: builder.KindBuild}, withFree, false},
		{"VM, an unclassified error", true, 1, errors.New("x"), withFree, false},
		{"VM without free-space settings", true, 1, full, []string{"build"}, false},
		{"local: never collects", false, 1, full, withFree, false},
	}
	for _, tt := range tests {
		r := &run{b: &Builder{Machine: &scriptMachine{}}}
		if tt.vm {
			r.b.Machine = &keeper{}
		}
		next, ok := r.diskFullRetry(tt.code, tt.failure, tt.args)
		if ok != tt.retry {
			t.Errorf("%s: retry %t, want %t", tt.name, ok, tt.retry)
		}
		if ok && (!slices.Contains(next, "--collect") || slices.Contains(tt.args, "--collect")) {
			t.Errorf("%s: next attempt %q, want the same arguments plus --collect (and the first left alone)", tt.name, next)
		}
	}
}

// fullMachine is a VM-like machine (it keeps free space) whose store is
// full for the first runs (full of them) and for every run without
// --collect when stuck; otherwise it builds like coresMachine.
type fullMachine struct {
	coresMachine
	full  int
	stuck bool
}

func (m *fullMachine) FreeSpace() (int64, int64) { return 1 << 30, 2 << 30 }

func (m *fullMachine) RunScript(ctx context.Context, token string, args []string, stdout, stderr io.Writer) (int, error) {
	if m.full > 0 || (m.stuck && !slices.Contains(args, "--collect")) {
		m.full--
		m.calls = append(m.calls, args)
		fmt.Fprint(stderr, "building '/nix/store/ha3grwj57h30a2h69xx7b2r193fl787a-scratch.drv'...\n",
			"dd: error writing 'scratch': No space left on device\n",
			"error: builder for '/nix/store/ha3grwj57h30a2h69xx7b2r193fl787a-scratch.drv' failed with exit code 1\n",
			"       note: build failure may have been caused by lack of free disk space\n")
		fmt.Fprint(stdout, "@nixpass nix-jobs 8 4\n@nixpass disk-free 1000\n")
		return 1, nil
	}
	if slices.Contains(args, "--collect") {
		fmt.Fprint(stdout, "@nixpass gc-freed 3221225472 3221226472\n")
	}
	return m.coresMachine.RunScript(ctx, token, args, stdout, stderr)
}

// TestDiskFullRetryIsAnAttempt: the collect-and-build-again of a VM whose
// disk was full is an attempt of its own on record, like an OOM retry; the
// build's kind is its last attempt's.
func TestDiskFullRetryIsAnAttempt(t *testing.T) {
	image := testImage(t)
	tests := []struct {
		name     string
		m        fullMachine
		kind     builder.Kind
		attempts []builder.Attempt // DurationMS not compared
		collects []bool            // whether each run had --collect
		warning  string
	}{
		{"full once, then built", fullMachine{coresMachine: coresMachine{fits: 4}, full: 1}, builder.KindOK,
			[]builder.Attempt{{Kind: builder.KindDiskFull, MaxJobs: 8, Cores: 4, Memory: 4 << 30}, {Kind: builder.KindOK, MaxJobs: 8, Cores: 4, Memory: 4 << 30}},
			[]bool{false, true},
			"the builder VM's disk was full: nixpass collected garbage (freed 3.2 GB) and built once more"},
		{"still full: retried once only", fullMachine{coresMachine: coresMachine{fits: 4}, full: 5}, builder.KindDiskFull,
			[]builder.Attempt{{Kind: builder.KindDiskFull, MaxJobs: 8, Cores: 4, Memory: 4 << 30}, {Kind: builder.KindDiskFull, MaxJobs: 8, Cores: 4, Memory: 4 << 30}},
			[]bool{false, true}, ""},
		{"full, then out of memory, then built", fullMachine{coresMachine: coresMachine{fits: 2}, full: 1}, builder.KindOK,
			[]builder.Attempt{{Kind: builder.KindDiskFull, MaxJobs: 8, Cores: 4, Memory: 4 << 30}, {Kind: builder.KindOOM, MaxJobs: 8, Cores: 4, Memory: 4 << 30}, {Kind: builder.KindOK, MaxJobs: 4, Cores: 2, Memory: 4 << 30}},
			[]bool{false, true, false},
			"built after running out of memory once, with 4 jobs: set max_jobs = 4 for this project to skip the first attempt; the builder VM's disk was full: nixpass collected garbage (freed 3.2 GB) and built once more"},
		{"full, out of memory, full again: no second collection", fullMachine{coresMachine: coresMachine{fits: 2}, stuck: true}, builder.KindDiskFull,
			[]builder.Attempt{{Kind: builder.KindDiskFull, MaxJobs: 8, Cores: 4, Memory: 4 << 30}, {Kind: builder.KindOOM, MaxJobs: 8, Cores: 4, Memory: 4 << 30}, {Kind: builder.KindDiskFull, MaxJobs: 4, Cores: 2, Memory: 4 << 30}},
			[]bool{false, true, false}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			m := tt.m
			m.image, m.memory = image, 4<<30
			b := &Builder{Machine: &m, Store: &store.Store{StateDir: filepath.Join(dir, ".state"), LogDir: filepath.Join(dir, ".logs")},
				LockPath: filepath.Join(dir, ".lock")}
			res := b.Build(context.Background(), builder.Project{Dir: dir, File: "default.nix", Output: "result.tar.gz"})
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
			var collects []bool
			for _, c := range m.calls {
				collects = append(collects, slices.Contains(c, "--collect"))
			}
			if !slices.Equal(collects, tt.collects) {
				t.Errorf("runs with --collect %v, want %v", collects, tt.collects)
			}
			if tt.warning != "" && res.Warning != tt.warning {
				t.Errorf("warning %q, want %q", res.Warning, tt.warning)
			}
			// The history's record holds the same attempts.
			hist := strings.TrimSpace(string(mustRead(t, filepath.Join(b.Store.StateDir, "history.jsonl"))))
			var rec builder.Result
			if err := json.Unmarshal([]byte(hist), &rec); err != nil || len(rec.Attempts) != len(tt.attempts) ||
				rec.Attempts[0].Kind != builder.KindDiskFull || rec.Kind != tt.kind {
				t.Errorf("history record (%v): %s", err, hist)
			}
		})
	}
}

func TestHealedNote(t *testing.T) {
	a := func(k builder.Kind, j, c int) builder.Attempt { return builder.Attempt{Kind: k, MaxJobs: j, Cores: c} }
	oom, ok := builder.KindOOM, builder.KindOK
	tests := []struct {
		name string
		as   []builder.Attempt
		want string
	}{
		{"first try", []builder.Attempt{a(ok, 2, 2)}, ""},
		{"disk full, then built", []builder.Attempt{a(builder.KindDiskFull, 2, 2), a(ok, 2, 2)}, ""},
		{"jobs and cores halved: jobs named", []builder.Attempt{a(oom, 2, 2), a(ok, 1, 1)},
			"built after running out of memory once, with 1 job: set max_jobs = 1 for this project to skip the first attempt"},
		{"cores alone halved: cores named", []builder.Attempt{a(oom, 1, 2), a(ok, 1, 1)},
			"built after running out of memory once, with 1 job and 1 core: set cores = 1 for this project to skip the first attempt"},
		{"twice", []builder.Attempt{a(oom, 8, 4), a(oom, 4, 2), a(ok, 2, 1)},
			"built after running out of memory twice, with 2 jobs: set max_jobs = 2 for this project to skip the first attempt"},
		{"three times", []builder.Attempt{a(oom, 8, 8), a(oom, 4, 4), a(oom, 2, 2), a(ok, 1, 1)},
			"built after running out of memory 3 times, with 1 job: set max_jobs = 1 for this project to skip the first attempt"},
		{"the VM grew, jobs as before: said by the growth's note", []builder.Attempt{a(oom, 1, 1), a(ok, 1, 1)}, ""},
	}
	for _, tt := range tests {
		if got := healedNote(tt.as); got != tt.want {
			t.Errorf("%s: healedNote = %q, want %q", tt.name, got, tt.want)
		}
	}
}
