package vm

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"nixpass/builder"
	"nixpass/builder/multipass"
	"nixpass/builder/multipass/multipasstest"
)

// memoryCgroupV1 makes a cgroup v1 memory cgroup of limit bytes under
// this process's own and returns its cgroup.procs; removed at the end.
func memoryCgroupV1(t *testing.T, limit int64) string {
	t.Helper()
	self, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(self)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 || !strings.Contains(","+parts[1]+",", ",memory,") {
			continue
		}
		dir := filepath.Join("/sys/fs/cgroup/memory", parts[2], fmt.Sprintf("nixpass-vmtest-%d", os.Getpid()))
		if err := os.Mkdir(dir, 0o755); err != nil && !os.IsExist(err) {
			t.Fatalf("make a memory cgroup (needs root): %v", err)
		}
		t.Cleanup(func() { _ = syscall.Rmdir(dir) })
		if err := os.WriteFile(filepath.Join(dir, "memory.limit_in_bytes"), []byte(fmt.Sprint(limit)), 0); err != nil {
			t.Fatal(err)
		}
		_ = os.WriteFile(filepath.Join(dir, "memory.swappiness"), []byte("0"), 0)
		return filepath.Join(dir, "cgroup.procs")
	}
	t.Fatal("no cgroup v1 memory controller: run the tests as root on a host with cgroup v1 memory (the CI host has it)")
	return ""
}

// TestVMBuildOOMRetry: on the VM backend (the fake multipass's exec runs
// the real script and Nix here, in a memory cgroup), a build whose memory
// grows with its cores is OOM-killed at 2 and rebuilt at once at 1 in the
// same build, through the same exec path; the attempts record the VM's
// memory.
func TestVMBuildOOMRetry(t *testing.T) {
	w := newVMWorld(t, nil, vmInstance)
	procs := memoryCgroupV1(t, 180<<20)
	// Every multipass call, and so the exec'd script and its builds, run
	// in the cgroup.
	wrapper := filepath.Join(t.TempDir(), "multipass")
	script := "#!/bin/sh\necho $$ > '" + procs + "' && exec '" + w.vm.Client.Bin + "' \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	w.vm.Client = &multipass.Client{Bin: wrapper}
	p := offlineProject(t, fmt.Sprintf("vm-oom-retry-%d", rand.IntN(1e9)),
		`n=$NIX_BUILD_CORES; echo "building with $n core(s)"; "$bb" awk -v n="$n" 'BEGIN { s = "xxxxxxxxxxxxxxxx"; while (length(s) < n * 40000000) s = s s; print length(s) }'`)
	p.MaxJobs, p.Cores = 1, 2
	res := w.b.Build(context.Background(), p)
	if !res.Succeeded() {
		log, _ := os.ReadFile(res.Log)
		t.Fatalf("want a success after a retry: %+v\nlog:\n%s", res, log)
	}
	want := []builder.Attempt{{Kind: builder.KindOOM, MaxJobs: 1, Cores: 2, Memory: 4 << 30}, {Kind: builder.KindOK, MaxJobs: 1, Cores: 1, Memory: 4 << 30}}
	got := slices.Clone(res.Attempts)
	for i := range got {
		got[i].DurationMS = 0
	}
	if !slices.Equal(got, want) {
		t.Errorf("attempts\ngot  %+v\nwant %+v", got, want)
	}
	// The build script ran once per attempt through multipass exec (after
	// a first exec that found it not installed yet), with the jobs and
	// cores of each attempt.
	var execs [][]string
	for _, c := range multipasstest.Calls(t, w.logPath) {
		if c[0] == "exec" && slices.Contains(c, "build") {
			execs = append(execs, c)
		}
		if c[0] == "transfer" {
			execs = nil
		}
	}
	if len(execs) != 2 || !hasPair(execs[0], "--cores", "2") || !hasPair(execs[1], "--cores", "1") || !hasPair(execs[1], "--max-jobs", "1") {
		t.Errorf("build execs: %q", execs)
	}
}

func hasPair(argv []string, k, v string) bool {
	i := slices.Index(argv, k)
	return i >= 0 && i+1 < len(argv) && argv[i+1] == v
}
