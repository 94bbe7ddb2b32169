package build

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nixpass/builder"
)

// scriptMachine is a machine.Machine whose script prints a canned report.
type scriptMachine struct {
	stdout, stderr string
	exit           int
	// image, when set, is written where the real script writes its
	// temporary image (the project folder, .OUTPUT.nixpass-tmp.TOKEN) and
	// reported with "@nixpass temp", for nixpass to rename into place.
	image []byte
}

func (m *scriptMachine) Describe() string { return "the test machine" }
func (m *scriptMachine) Prepare(ctx context.Context, dir string, progress func(string)) (string, error) {
	return dir, nil
}
func (m *scriptMachine) RunScript(ctx context.Context, token string, args []string, stdout, stderr io.Writer) (int, error) {
	fmt.Fprint(stdout, m.stdout)
	if m.image != nil {
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
		fmt.Fprintf(stdout, "@nixpass temp %s\n", name)
	}
	fmt.Fprint(stderr, m.stderr)
	return m.exit, nil
}
func (m *scriptMachine) Status(ctx context.Context) builder.BuilderStatus {
	return builder.BuilderStatus{}
}

func TestScriptOutcomes(t *testing.T) {
	drv := "/nix/store/6i53jg3gyvrnz4h2ca1qdvsi6gbxs1hj-app.drv"
	tests := []struct {
		name          string
		m             scriptMachine
		kind          builder.Kind
		message, hint string
	}{
		{"nix missing", scriptMachine{stdout: "@nixpass error nix-missing no nix-build\n", exit: 69}, builder.KindUnavailable, "Nix is not installed on the test machine", "nixpass vm create"},
		{"folder not mounted", scriptMachine{stdout: "@nixpass error dir-missing /Users/a\n", exit: 66}, builder.KindUnavailable, "not reachable", "mounted"},
		{"not a file", scriptMachine{stdout: "@nixpass store-path /nix/store/x-dir\n", exit: 70}, builder.KindBuild, "/nix/store/x-dir", "buildLayeredImage"},
		{"copy failed", scriptMachine{stdout: "@nixpass error copy-failed Permission denied\n", exit: 71}, builder.KindBuild, "Permission denied", "writable"},
		// The script says disk-full only for the copy into the project:
		// the project's disk, not the builder's store.
		{"disk full on copy", scriptMachine{stdout: "@nixpass error disk-full cp: No space left on device\n", exit: 72}, builder.KindDiskFull, "the project's disk is full", "free space on that disk"},
		{"script usage", scriptMachine{stderr: "nixpass-build: unknown argument: --x\n", exit: 65}, builder.KindBuild, "unknown argument", "nixpass bug"},
		{"cancelled inside", scriptMachine{stdout: "@nixpass cancelled\n", exit: 130}, builder.KindCancelled, "cancelled", "untouched"},
		{"signal 9, kernel OOM", scriptMachine{
			stdout: "@nixpass uptime 100.5\n@nixpass cgroup self /sys/fs/cgroup/memory/b\n@nixpass user-uid 0\n@nixpass uptime-end 102\n@nixpass kmsg-read dmesg\n" +
				"@nixpass kmsg [  101.2] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/b,task_memcg=/b,task=cc1plus,pid=42,uid=0\n" +
				"@nixpass kmsg [  101.2] Memory cgroup out of memory: Killed process 42 (cc1plus) total-vm:1kB\n",
			stderr: "error: builder for '" + drv + "' failed due to signal 9 (Killed)\n", exit: 100}, builder.KindOOM, "the builder for app ran out of memory: the kernel killed cc1plus (Memory cgroup out of memory: Killed process 42 (cc1plus) in memory cgroup /b, uid 0)", "jobs"},
		{"signal 9, another cgroup's OOM kill", scriptMachine{
			stdout: "@nixpass uptime 100.5\n@nixpass cgroup self /sys/fs/cgroup/memory/a\n@nixpass user-uid 0\n@nixpass uptime-end 102\n@nixpass kmsg-read dmesg\n" +
				"@nixpass kmsg [  101.2] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/b,task_memcg=/b,task=cc1plus,pid=42,uid=0\n" +
				"@nixpass kmsg [  101.2] Memory cgroup out of memory: Killed process 42 (cc1plus) total-vm:1kB\n",
			stderr: "error: builder for '" + drv + "' failed due to signal 9 (Killed)\n", exit: 100}, builder.KindBuild, "killed by signal 9, but the kernel log (dmesg) recorded no OOM kill", "if memory is short"},
		{"signal 9, stale OOM only", scriptMachine{
			stdout: "@nixpass uptime 500\n@nixpass uptime-end 600\n@nixpass kmsg-read dmesg\n@nixpass kmsg [  101.2] Out of memory: Killed process 42 (cc1plus)\n",
			stderr: "error: builder for '" + drv + "' failed due to signal 9 (Killed)\n", exit: 100}, builder.KindBuild, "killed by signal 9, but the kernel log (dmesg) recorded no OOM kill", "if memory is short"},
		{"signal 9, no kernel log", scriptMachine{
			stdout: "@nixpass uptime 500\n",
			stderr: "error: builder for '" + drv + "' failed due to signal 9 (Killed)\n", exit: 100}, builder.KindBuild, "the kernel log could not be read", "if memory is short"},
		{"network", scriptMachine{
			stderr: "error: unable to download 'http://x.invalid/a.tar.gz': Couldn't resolve host name (6)\n", exit: 1}, builder.KindNetwork, "could not download http://x.invalid/a.tar.gz", "network"},
		{"no build users", scriptMachine{
			stderr: "error: the group 'nixbld' specified in 'build-users-group' does not exist\n", exit: 1}, builder.KindUnavailable, "Nix is not set up", "nix-setup-systemd"},
		{"eval, no stutter", scriptMachine{
			stderr: "error: undefined variable 'x'\n\n       at /p/default.nix:1:1:\n", exit: 1}, builder.KindEval, "undefined variable 'x' at /p/default.nix:1:1", "fix the expression at /p/default.nix:1:1"},
		{"nix-build itself killed", scriptMachine{
			stdout: "@nixpass uptime 10\n@nixpass cgroup self /sys/fs/cgroup/u\n@nixpass user-uid 1000\n@nixpass uptime-end 12\n@nixpass signal 9\n@nixpass kmsg-read sudo dmesg\n" +
				"@nixpass kmsg [ 11.0] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/u,task_memcg=/u,task=nix-build,pid=7,uid=1000\n" +
				"@nixpass kmsg [ 11.0] Memory cgroup out of memory: Killed process 7 (nix-build)\n", exit: 137}, builder.KindOOM, "the kernel killed nix-build (Memory cgroup out of memory: Killed process 7 (nix-build) in memory cgroup /u, uid 1000)", "memory"},
		{"exit code 137: a command in the builder OOM-killed", scriptMachine{
			stdout: "@nixpass uptime 100.5\n@nixpass cgroup daemon /sys/fs/cgroup/memory/d\n@nixpass build-uids 999\n@nixpass user-uid 1000\n@nixpass uptime-end 102\n@nixpass kmsg-read sudo dmesg\n" +
				"@nixpass kmsg [  101.2] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/d,task_memcg=/d,task=awk,pid=42,uid=999\n" +
				"@nixpass kmsg [  101.2] Memory cgroup out of memory: Killed process 42 (awk) total-vm:1kB\n",
			stderr: "error: builder for '" + drv + "' failed with exit code 137;\n", exit: 100}, builder.KindOOM,
			"a process of the builder for app (exit code 137) ran out of memory: the kernel killed awk (Memory cgroup out of memory: Killed process 42 (awk) in memory cgroup /d, uid 999)", "jobs"},
		{"exit code 137 without an OOM kill", scriptMachine{
			stdout: "@nixpass uptime 100.5\n@nixpass cgroup daemon /sys/fs/cgroup/memory/d\n@nixpass uptime-end 102\n@nixpass kmsg-read sudo dmesg\n",
			stderr: "error: Cannot build '" + drv + "'.\n       Reason: builder failed with exit code 137.\n", exit: 1}, builder.KindBuild,
			"a process of the builder for app (exit code 137) was killed by signal 9, but the kernel log (sudo dmesg) recorded no OOM kill", "if memory is short"},
		{"signal 9, an old kernel's kill without its cgroup", scriptMachine{
			stdout: "@nixpass uptime 10\n@nixpass uptime-end 12\n@nixpass signal 9\n@nixpass kmsg-read dmesg\n@nixpass kmsg [ 11.0] Out of memory: Killed process 7 (nix-build)\n", exit: 137},
			builder.KindBuild, "nix was killed by signal 9, possibly out of memory: Out of memory: Killed process 7 (nix-build)", "if memory is short"},
		// A normal user through nix-daemon: dmesg is restricted, the
		// daemon's memory cgroup counted the kill.
		{"signal 9, daemon cgroup counter", scriptMachine{
			stdout: "@nixpass uptime 1\n@nixpass cgroup daemon /sys/fs/cgroup/memory/nix daemon\n@nixpass oom-count before 3 /proc/vmstat\n" +
				"@nixpass oom-count before 0 /sys/fs/cgroup/memory/nix daemon/memory.oom_control\n@nixpass uptime-end 2\n" +
				"@nixpass oom-count after 4 /proc/vmstat\n" +
				"@nixpass oom-count after 1 /sys/fs/cgroup/memory/nix daemon/memory.oom_control\n" +
				"@nixpass mem-total 25275539456\n@nixpass mem-limit 209715200 /sys/fs/cgroup/memory/nix daemon\n@nixpass kmsg-read none\n",
			stderr: "error: builder for '" + drv + "' failed due to signal 9 (Killed)\n", exit: 1}, builder.KindOOM,
			"the builder for app ran out of memory: the kernel killed it (/sys/fs/cgroup/memory/nix daemon/memory.oom_control: oom_kill went from 0 to 1 during the build)",
			"the build ran in the memory cgroup /sys/fs/cgroup/memory/nix daemon, limited to 200 MiB: raise that limit"},
		{"signal 9, cgroup v2 events", scriptMachine{
			stdout: "@nixpass uptime 1\n@nixpass uptime-end 2\n@nixpass cgroup daemon /sys/fs/cgroup/system.slice/nix-daemon.service\n" +
				"@nixpass oom-count before 0 /sys/fs/cgroup/system.slice/nix-daemon.service/memory.events\n" +
				"@nixpass oom-count after 2 /sys/fs/cgroup/system.slice/nix-daemon.service/memory.events\n" +
				"@nixpass mem-total 8000000000\n@nixpass mem-limit 9000000000 /sys/fs/cgroup/system.slice/nix-daemon.service\n@nixpass kmsg-read none\n",
			stderr: "error: Cannot build '" + drv + "'.\n       Reason: builder failed due to signal 9 (Killed).\n", exit: 1}, builder.KindOOM,
			"memory.events: oom_kill went from 0 to 2", "jobs"},
		{"signal 9, only the machine's counter", scriptMachine{
			stdout: "@nixpass oom-count before 3 /proc/vmstat\n@nixpass oom-count after 4 /proc/vmstat\n@nixpass kmsg-read none\n",
			stderr: "error: builder for '" + drv + "' failed due to signal 9 (Killed)\n", exit: 1}, builder.KindBuild,
			"possibly out of memory: oom_kill went from 3 to 4 during the build somewhere on the machine (/proc/vmstat)", "if memory is short"},
		{"signal 9, counters unchanged", scriptMachine{
			stdout: "@nixpass oom-count before 3 /proc/vmstat\n@nixpass oom-count after 3 /proc/vmstat\n@nixpass kmsg-read none\n",
			stderr: "error: builder for '" + drv + "' failed due to signal 9 (Killed)\n", exit: 1}, builder.KindBuild,
			"killed by signal 9, but /proc/vmstat recorded no OOM kill during the build", "if memory is short"},
		{"signal 9, counters and log unchanged", scriptMachine{
			stdout: "@nixpass uptime 50\n@nixpass uptime-end 60\n@nixpass oom-count before 3 /proc/vmstat\n@nixpass oom-count after 3 /proc/vmstat\n" +
				"@nixpass oom-count before 0 /a/memory.events\n@nixpass oom-count after 0 /a/memory.events\n" +
				"@nixpass oom-count before 1 /b/memory.events\n@nixpass oom-count after 1 /b/memory.events\n@nixpass kmsg-read journalctl -k\n",
			stderr: "error: builder for '" + drv + "' failed due to signal 9 (Killed)\n", exit: 1}, builder.KindBuild,
			"but the kernel log (journalctl -k), /proc/vmstat and the oom_kill counters of 2 memory cgroups (listed in the build log) recorded no OOM kill during the build", "if memory is short"},
		{"signal 9, nothing readable", scriptMachine{
			stdout: "@nixpass kmsg-read none\n",
			stderr: "error: builder for '" + drv + "' failed due to signal 9 (Killed)\n", exit: 1}, builder.KindBuild,
			"killed by signal 9; the kernel log could not be read, so whether memory ran out is unknown", "if memory is short: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.m
			b := &Builder{Machine: &m}
			// The folder is there on the host (what the builder sees
			// is the fake's to say).
			dir := filepath.Join(t.TempDir(), "app")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			res := b.Build(context.Background(), builder.Project{Dir: dir, File: "default.nix", Output: "result.tar.gz"})
			if res.Kind != tt.kind || res.Status != builder.StatusFailed {
				t.Fatalf("kind %s, want %s: %+v", res.Kind, tt.kind, res)
			}
			if !strings.Contains(res.Message, tt.message) || !strings.Contains(res.Hint, tt.hint) {
				t.Errorf("message %q / hint %q; want %q / %q", res.Message, res.Hint, tt.message, tt.hint)
			}
			if strings.Contains(res.Hint, "kernel log shows no OOM kill") {
				t.Errorf("hint %q claims what was not read", res.Hint)
			}
		})
	}
}

func TestValidateRequest(t *testing.T) {
	tests := []builder.Project{
		{Dir: "rel", File: "default.nix", Output: "o"},
		{Dir: "/a", File: "default.nix", Output: "a/b"},
		{Dir: "/a", Output: "o"},
		{Dir: "/a", Flake: ".#i", Output: "o", Args: []string{"--arg", "a", "1"}},
		{Dir: "/a", File: "f", Output: "o", Args: []string{"--foo", "a", "1"}},
	}
	for _, p := range tests {
		res := (&Builder{Machine: &scriptMachine{}}).Build(context.Background(), p)
		if res.Kind != builder.KindConfig || res.Kind.ExitCode() != 1 {
			t.Errorf("%+v: kind %s, want config", p, res.Kind)
		}
	}
}
