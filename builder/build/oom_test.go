package build

import (
	"os"
	"strings"
	"testing"

	"nixpass/builder/diagnose"
)

// realKmsg are real kernel lines (testdata/kmsg-v1.txt): cgroups oomcap-A
// and oomcap-B each had a process killed at 4716.4 and 4716.6 s, and a
// daemon's cgroup nixpass-test-9459 a build user's (uid 999) at 4138.9 s.
func realKmsg(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("testdata/kmsg-v1.txt")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "[") {
			out = append(out, l)
		}
	}
	return out
}

func TestOOMEvidence(t *testing.T) {
	const (
		v1 = "/sys/fs/cgroup/memory/process_api/70c71f6e6c80fa11e29af0739ce2f197"
		a  = v1 + "/oomcap-A"
		b  = v1 + "/oomcap-B"
		d  = "/sys/fs/cgroup/memory/process_api/35f2b9a8f547f93464e9364da62ffc55/nixpass-test-9459"
		// The window of the two-cgroup kills, and of the daemon's.
		twoAtOnce = "uptime 4704.52\nuptime-end 4716.65\n"
		daemonWin = "uptime 4130\nuptime-end 4140\n"
		root      = "kmsg-read dmesg\nbuild-uids 999 998\nuser-uid 0\n"
		user      = "kmsg-read dmesg\nbuild-uids 999 998\nuser-uid 1000\n"
		killA     = "Memory cgroup out of memory: Killed process 7971 (busybox) in memory cgroup /process_api/70c71f6e6c80fa11e29af0739ce2f197/oomcap-A, uid 0"
		killB     = "Memory cgroup out of memory: Killed process 7973 (busybox) in memory cgroup /process_api/70c71f6e6c80fa11e29af0739ce2f197/oomcap-B, uid 0"
		killD     = "Memory cgroup out of memory: Killed process 29791 (busybox) in memory cgroup /process_api/35f2b9a8f547f93464e9364da62ffc55/nixpass-test-9459, uid 999"
		shared    = ", in a memory cgroup shared with another build or by another user"
	)
	tests := []struct {
		name  string
		lines string
		want  diagnose.OOM
	}{
		{"nothing said", "", diagnose.OOM{}},
		{"log unreadable, no counters", "kmsg-read none", diagnose.OOM{}},
		// A counter read only after the build proves nothing.
		{"counter without before", "kmsg-read none\noom-count after 9 /proc/vmstat", diagnose.OOM{}},
		{"garbled lines are ignored", "oom-count before x /proc/vmstat\noom-count after 2\nmem-limit -1 /x\nmem-total nope\ncgroup x /y\npool 1 2\nuser-uid me", diagnose.OOM{}},
		{"log read, no kill in the window", "kmsg-read dmesg\nuptime 1\nuptime-end 2", diagnose.OOM{Readable: true}},

		// Two cgroups at once, both ways round: each build quotes its own.
		{"built in A while B was killed too: A's kill", root + twoAtOnce + "cgroup self " + a,
			diagnose.OOM{Readable: true, Killed: true, Source: "dmesg", Line: killA}},
		{"built in B while A was killed too: B's kill", root + twoAtOnce + "cgroup self " + b,
			diagnose.OOM{Readable: true, Killed: true, Source: "dmesg", Line: killB}},
		{"killed in neither: no OOM kill of this build", root + twoAtOnce + "cgroup self " + v1 + "/oomcap-C",
			diagnose.OOM{Readable: true}},
		// Root without a daemon (our own nix held a build user): the
		// daemon's cgroup is the container's, above B, and is not ours;
		// its counter, which counted B's kill, is not ours either.
		{"root without a daemon: the daemon's cgroup above B is not the build's", root + twoAtOnce + "cgroup daemon " + v1 + "\ncgroup self " + a +
			"\npool 999 4242 mine " + a + "\noom-count before 1 " + v1 + "/memory.oom_control\noom-count after 3 " + v1 + "/memory.oom_control",
			diagnose.OOM{Readable: true, Killed: true, Source: "dmesg", Line: killA}},
		{"killed in neither, the machine's counter rose with the others' kills", root + twoAtOnce + "cgroup self " + v1 + "/oomcap-C\noom-count before 4 /proc/vmstat\noom-count after 6 /proc/vmstat",
			diagnose.OOM{Readable: true}},
		{"the parent cgroup holds both: its kills are in it", root + twoAtOnce + "cgroup self " + v1,
			diagnose.OOM{Readable: true, Killed: true, Source: "dmesg", Line: killB}},
		{"the kills came before the window", root + "uptime 4800\nuptime-end 4900\ncgroup self " + a,
			diagnose.OOM{Readable: true}},
		{"the kills came after the window", root + "uptime 4600\nuptime-end 4700\ncgroup self " + a,
			diagnose.OOM{Readable: true}},

		// As root without a daemon: the build user our own nix held.
		{"root: a build user our nix held", root + daemonWin + "cgroup self " + d + "\npool 999 4242 mine " + d,
			diagnose.OOM{Readable: true, Killed: true, Source: "dmesg", Line: killD}},
		{"root: another nix in our cgroup held that build user", root + daemonWin + "cgroup self " + d + "\npool 998 4242 mine " + d + "\npool 999 5151 other " + d,
			diagnose.OOM{Readable: true, Possible: true, Source: "dmesg", Line: killD + shared}},
		{"root: the kill's uid is nobody's build", "kmsg-read dmesg\nbuild-uids 998\nuser-uid 0\n" + daemonWin + "cgroup self " + d,
			diagnose.OOM{Readable: true, Possible: true, Source: "dmesg", Line: killD + shared}},

		// Through a daemon: its cgroup, a build user, one build in it.
		{"daemon: one build in the daemon's cgroup", user + daemonWin + "cgroup self /sys/fs/cgroup/memory/user\ncgroup daemon " + d + "\npool 999 77 other " + d,
			diagnose.OOM{Readable: true, Killed: true, Source: "dmesg", Line: killD}},
		{"daemon: no build user seen busy (a short build between samples)", user + daemonWin + "cgroup daemon " + d,
			diagnose.OOM{Readable: true, Killed: true, Source: "dmesg", Line: killD}},
		{"daemon: two builds through it at once", user + daemonWin + "cgroup daemon " + d + "\npool 999 77 other " + d + "\npool 998 78 other " + d,
			diagnose.OOM{Readable: true, Possible: true, Source: "dmesg", Line: killD + shared}},
		{"daemon: another build elsewhere does not share its cgroup", user + daemonWin + "cgroup daemon " + d + "\npool 999 77 other " + d + "\npool 998 78 other /sys/fs/cgroup/memory/elsewhere",
			diagnose.OOM{Readable: true, Killed: true, Source: "dmesg", Line: killD}},

		// Counters, when the kernel log cannot be read.
		{"the daemon's cgroup counter rose, one build", "kmsg-read none\nuptime 1\nuptime-end 2\nmem-total 8000\ncgroup daemon " + d +
			"\noom-count before 1 /proc/vmstat\noom-count before 0 " + d + "/memory.oom_control\noom-count after 2 /proc/vmstat\noom-count after 1 " + d + "/memory.oom_control\nmem-limit 2000 " + d,
			diagnose.OOM{Readable: true, Killed: true, Source: d + "/memory.oom_control", Line: "oom_kill went from 0 to 1 during the build", Limit: 2000, LimitCgroup: d}},
		{"the daemon's cgroup counter rose, two builds", "kmsg-read none\nuptime 1\nuptime-end 2\ncgroup daemon " + d +
			"\noom-count before 0 " + d + "/memory.oom_control\noom-count after 1 " + d + "/memory.oom_control\npool 999 77 other " + d + "\npool 998 78 other " + d,
			diagnose.OOM{Readable: true, Possible: true, Source: d + "/memory.oom_control", Line: "oom_kill went from 0 to 1 during the build, while another build ran in that cgroup"}},
		{"a cgroup limit above RAM is not the one that applied", "uptime 1\nuptime-end 2\nmem-total 8000\ncgroup self " + d +
			"\noom-count before 0 " + d + "/memory.oom_control\noom-count after 1 " + d + "/memory.oom_control\nmem-limit 9223372036854771712 " + d,
			diagnose.OOM{Readable: true, Killed: true, Source: d + "/memory.oom_control", Line: "oom_kill went from 0 to 1 during the build", Limit: 8000}},
		{"the machine's counter alone is only possible", "uptime 1\nuptime-end 2\noom-count before 4 /proc/vmstat\noom-count after 5 /proc/vmstat",
			diagnose.OOM{Readable: true, Possible: true, Source: "/proc/vmstat", Line: "oom_kill went from 4 to 5 during the build somewhere on the machine"}},

		// A report (or log) from an older nixpass: no window, no cgroups.
		{"an older report's kernel lines", "kmsg-read dmesg\nuptime 4000",
			diagnose.OOM{Readable: true, Unattributed: true}},
	}
	kmsg := realKmsg(t)
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
			if o.kmsgRead != "" && o.kmsgRead != "none" {
				for _, l := range kmsg {
					o.line("kmsg", l)
				}
			}
			if got := o.evidence(); got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseKills(t *testing.T) {
	kmsg := append(realKmsg(t),
		// A kernel before 4.19: no "oom-kill:" line.
		"[ 100.000001] Out of memory: Killed process 1111 (old) total-vm:1kB",
		// journalctl -k -o short-monotonic.
		"[ 5000.100000] host kernel: oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/user.slice,task=ld,pid=42,uid=1000",
		"[ 5000.100010] host kernel: Out of memory: Killed process 42 (ld) total-vm:9kB, anon-rss:1kB")
	got := parseKills(kmsg, func(float64) bool { return true })
	want := []struct {
		memcg  string
		pid    int
		uid    int
		killed string
	}{
		{"/process_api/70c71f6e6c80fa11e29af0739ce2f197/oomcap-B", 7973, 0, "Memory cgroup out of memory: Killed process 7973 (busybox)"},
		{"/process_api/70c71f6e6c80fa11e29af0739ce2f197/oomcap-A", 7971, 0, "Memory cgroup out of memory: Killed process 7971 (busybox)"},
		{"/process_api/35f2b9a8f547f93464e9364da62ffc55/nixpass-test-9459", 29791, 999, "Memory cgroup out of memory: Killed process 29791 (busybox)"},
		{"", 1111, 0, "Out of memory: Killed process 1111 (old)"},
		{"/user.slice", 42, 1000, "Out of memory: Killed process 42 (ld)"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d kills, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.memcg != w.memcg || g.pid != w.pid || g.uid != w.uid || g.killed != w.killed {
			t.Errorf("kill %d: got %q %d %d %q, want %q %d %d %q", i, g.memcg, g.pid, g.uid, g.killed, w.memcg, w.pid, w.uid, w.killed)
		}
	}
}
