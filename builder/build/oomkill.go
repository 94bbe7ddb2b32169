package build

import (
	"fmt"
	"nixpass/builder/lazyre"
	"sort"
	"strconv"
	"strings"
)

// oomKill is one kill of the kernel's OOM killer: its "oom-kill:" line
// (task_memcg, pid, uid) and its "Killed process" line.
type oomKill struct {
	at     float64
	memcg  string // task_memcg, relative to the memory hierarchy's root; "" unknown
	pid    int
	uid    int
	hasUID bool
	// killed is the "Killed process" line without its stamp and memory
	// table; kernel is the "oom-kill:" line without its stamp.
	killed, kernel string
	// raw are the log's lines as read, for the build log.
	raw []string
}

// quote is the kill as messages quote it: the kernel's "Killed process"
// line, and the cgroup and uid it names.
func (k oomKill) quote() string {
	s := k.killed
	if s == "" {
		s = k.kernel
	}
	var more []string
	if k.memcg != "" {
		more = append(more, "memory cgroup "+k.memcg)
	}
	if k.hasUID {
		more = append(more, "uid "+strconv.Itoa(k.uid))
	}
	if len(more) > 0 && k.killed != "" {
		s += " in " + strings.Join(more, ", ")
	}
	return s
}

var (
	// The kernel's OOM killer: global ("Out of memory: Killed process")
	// and cgroup ("Memory cgroup out of memory: Killed process").
	reKernelOOM = lazyre.New(`(?i)out of memory.*Killed process (\d+) \(([^)]*)\)`)
	// Its "oom-kill:" line (kernel 4.19 and later):
	// "oom-kill:constraint=CONSTRAINT_MEMCG,…,task_memcg=/a/b,task=ld,pid=9,uid=999".
	reOOMKill  = lazyre.New(`oom-kill:.*\btask_memcg=([^,]*),task=.*,pid=(\d+),uid=(\d+)`)
	reKmsgTime = lazyre.New(`^\[\s*(\d+\.\d+)\]`)
)

// parseKills pairs the kernel's "oom-kill:" and "Killed process" lines of
// kmsg into kills whose stamp passes keep (-1: no stamp).
func parseKills(kmsg []string, keep func(at float64) bool) []oomKill {
	var out []oomKill
	for _, l := range kmsg {
		at := -1.0
		if t := reKmsgTime.FindStringSubmatch(l); t != nil {
			at, _ = strconv.ParseFloat(t[1], 64)
		}
		msg := strings.TrimSpace(reKmsgTime.ReplaceAllString(l, ""))
		// journalctl -k puts "HOST kernel: " before the kernel's text.
		if i := strings.Index(msg, "kernel: "); i >= 0 && !strings.Contains(msg[:i], "oom") {
			msg = msg[i+len("kernel: "):]
		}
		if m := reOOMKill.FindStringSubmatch(msg); m != nil {
			pid, _ := strconv.Atoi(m[2])
			uid, _ := strconv.Atoi(m[3])
			out = append(out, oomKill{at: at, memcg: m[1], pid: pid, uid: uid, hasUID: true, kernel: msg, raw: []string{l}})
			continue
		}
		m := reKernelOOM.FindStringSubmatch(msg)
		if m == nil {
			continue
		}
		if i := strings.Index(msg, " total-vm:"); i > 0 {
			msg = strings.TrimSuffix(msg[:i], ",")
		}
		pid, _ := strconv.Atoi(m[1])
		if n := len(out); n > 0 && out[n-1].pid == pid && out[n-1].killed == "" {
			out[n-1].killed = msg
			out[n-1].raw = append(out[n-1].raw, l)
			continue
		}
		// A kernel without "oom-kill:" lines: no cgroup, no uid.
		out = append(out, oomKill{at: at, pid: pid, killed: msg, raw: []string{l}})
	}
	kept := out[:0]
	for _, k := range out {
		if keep(k.at) {
			kept = append(kept, k)
		}
	}
	return kept
}

// logKernel writes to the build log what the OOM rule weighed for this
// build: its window and memory cgroups, and only the kernel's OOM kills in
// those cgroups during that window (never the machine's history), as
// "# kmsg" lines `nixpass explain` reads back.
func (r *run) logKernel(o oomReport) {
	if o.end == 0 {
		return
	}
	var cgs []string
	for d, role := range o.cgroups {
		cgs = append(cgs, role+" "+memcgPath(d))
	}
	sort.Strings(cgs)
	kept, left := 0, 0
	var lines []string
	for _, k := range o.kills() {
		if _, role := o.cgroupRole(k.memcg); role == "" {
			left++
			continue
		}
		kept++
		lines = append(lines, k.raw...)
	}
	r.logLine(fmt.Sprintf("# kernel evidence: window %.2f-%.2f s since boot, memory cgroups: %s; %d OOM kill(s) there kept, %d elsewhere on the machine left out",
		o.start, o.end, strings.Join(cgs, ", "), kept, left))
	for _, l := range lines {
		r.logLine("# kmsg " + l)
	}
}
