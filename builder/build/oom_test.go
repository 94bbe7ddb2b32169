package build

import (
	"strings"
	"testing"

	"nixpass/builder/diagnose"
)

func TestOOMEvidence(t *testing.T) {
	const cg = "/sys/fs/cgroup/system.slice/nix-daemon.service"
	tests := []struct {
		name  string
		lines string
		kmsg  []string
		since float64
		want  diagnose.OOM
	}{
		{"nothing said", "", nil, 0, diagnose.OOM{}},
		{"log unreadable, no counters", "kmsg-read none", nil, 0, diagnose.OOM{}},
		// A counter read only after the build proves nothing.
		{"counter without before", "kmsg-read none\noom-count after 9 /proc/vmstat", nil, 0, diagnose.OOM{}},
		{"garbled lines are ignored", "oom-count before x /proc/vmstat\noom-count after 2\nmem-limit -1 /x\nmem-total nope", nil, 0, diagnose.OOM{}},
		{"log read, no kill", "kmsg-read dmesg", nil, 0, diagnose.OOM{Readable: true}},
		{"log line wins over counters", "mem-total 1000\nkmsg-read dmesg\noom-count before 1 /proc/vmstat\noom-count after 2 /proc/vmstat",
			[]string{"[ 20.5] Out of memory: Killed process 9 (ld) total-vm:1kB"}, 10,
			diagnose.OOM{Readable: true, Killed: true, Source: "dmesg", Line: "Out of memory: Killed process 9 (ld)", Limit: 1000}},
		{"a cgroup's counter wins over the machine's and brings its limit",
			"mem-total 8000\noom-count before 1 /proc/vmstat\noom-count before 0 " + cg + "/memory.events\n" +
				"oom-count after 2 /proc/vmstat\noom-count after 1 " + cg + "/memory.events\nmem-limit 2000 " + cg + "\nkmsg-read none", nil, 0,
			diagnose.OOM{Readable: true, Killed: true, Source: cg + "/memory.events", Line: "oom_kill went from 0 to 1 during the build", Limit: 2000, LimitCgroup: cg}},
		{"a cgroup limit above RAM is not the one that applied",
			"mem-total 8000\noom-count before 0 " + cg + "/memory.events\noom-count after 1 " + cg + "/memory.events\nmem-limit 9223372036854771712 " + cg, nil, 0,
			diagnose.OOM{Readable: true, Killed: true, Source: cg + "/memory.events", Line: "oom_kill went from 0 to 1 during the build", Limit: 8000}},
		{"the machine's counter alone", "oom-count before 4 /proc/vmstat\noom-count after 5 /proc/vmstat", nil, 0,
			diagnose.OOM{Readable: true, Killed: true, Source: "/proc/vmstat", Line: "oom_kill went from 4 to 5 during the build"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var o oomReport
			for _, l := range strings.Split(tt.lines, "\n") {
				if l == "" {
					continue
				}
				k, v, _ := strings.Cut(l, " ")
				o.line(k, v)
			}
			if got := o.evidence(tt.kmsg, tt.since); got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestKernelOOM(t *testing.T) {
	kmsg := []string{
		"[ 100.000001] Out of memory: Killed process 1111 (old) total-vm:1kB",
		"[ 2948.780713] Memory cgroup out of memory: Killed process 2315 (busybox) total-vm:221408kB, anon-rss:149152kB",
	}
	tests := []struct {
		since float64
		comm  string
		ok    bool
	}{
		{0, "old", true},
		{2000, "busybox", true},
		{3000, "", false},
	}
	for _, tt := range tests {
		line, comm, ok := kernelOOM(kmsg, tt.since)
		if ok != tt.ok || comm != tt.comm {
			t.Errorf("since %v: got %q %q %v", tt.since, line, comm, ok)
		}
		if ok && strings.Contains(line, "total-vm") {
			t.Errorf("line keeps the memory table: %q", line)
		}
	}
}
