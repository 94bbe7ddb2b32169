package build

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"nixpass/builder/diagnose"
)

// oomCounter is one OOM-kill counter the script read.
type oomCounter struct {
	file          string
	before, after int64
	hasBefore     bool
	hasAfter      bool
}

// poolEntry is one build user seen busy in Nix's user pool during the
// build: its uid, the process holding its lock, whether that process is
// this build's own nix, and that process's memory cgroup (a folder).
type poolEntry struct {
	uid, pid int
	mine     bool
	cgroup   string
}

// oomReport collects the script's OOM evidence lines ("@nixpass
// oom-count", "mem-limit", "mem-total", "kmsg-read", "kmsg", "uptime",
// "uptime-end", "cgroup", "build-uids", "user-uid", "pool").
type oomReport struct {
	counters []*oomCounter
	limits   map[string]int64
	memTotal int64
	// kmsgRead is the kernel log the script could read, "none", or "" when
	// the script did not say.
	kmsgRead string
	// kmsg are the kernel log's OOM lines, as read.
	kmsg []string
	// start and end are the build's window in seconds since boot; end is
	// 0 when the script did not say (an older script).
	start, end float64
	// cgroups maps each memory cgroup folder the build may run in to
	// "self" (the script's) or "daemon" (a nix-daemon's).
	cgroups map[string]string
	// buildUIDs are the build users; userUID the building user (-1 unknown).
	buildUIDs map[int]bool
	userUID   int
	hasUser   bool
	pool      []poolEntry
}

// line takes one protocol line; key is the word after "@nixpass".
func (o *oomReport) line(key, val string) {
	switch key {
	case "oom-count":
		// before|after COUNT FILE
		parts := strings.SplitN(val, " ", 3)
		if len(parts) != 3 {
			return
		}
		n, err := strconv.ParseInt(parts[1], 10, 64)
		if err != nil {
			return
		}
		c := o.counter(parts[2])
		switch parts[0] {
		case "before":
			c.before, c.hasBefore = n, true
		case "after":
			c.after, c.hasAfter = n, true
		}
	case "mem-limit":
		// BYTES DIR
		num, dir, ok := strings.Cut(val, " ")
		n, err := strconv.ParseInt(num, 10, 64)
		if !ok || err != nil || n <= 0 {
			return
		}
		if o.limits == nil {
			o.limits = map[string]int64{}
		}
		o.limits[dir] = n
	case "mem-total":
		o.memTotal, _ = strconv.ParseInt(val, 10, 64)
	case "kmsg-read":
		o.kmsgRead = val
	case "kmsg":
		o.kmsg = append(o.kmsg, val)
	case "uptime":
		o.start, _ = strconv.ParseFloat(val, 64)
	case "uptime-end":
		o.end, _ = strconv.ParseFloat(val, 64)
	case "cgroup":
		// self|daemon DIR
		role, dir, ok := strings.Cut(val, " ")
		if !ok || (role != "self" && role != "daemon") || dir == "" {
			return
		}
		if o.cgroups == nil {
			o.cgroups = map[string]string{}
		}
		if o.cgroups[dir] != "daemon" {
			o.cgroups[dir] = role
		}
	case "build-uids":
		for _, f := range strings.Fields(val) {
			if n, err := strconv.Atoi(f); err == nil {
				if o.buildUIDs == nil {
					o.buildUIDs = map[int]bool{}
				}
				o.buildUIDs[n] = true
			}
		}
	case "user-uid":
		if n, err := strconv.Atoi(val); err == nil {
			o.userUID, o.hasUser = n, true
		}
	case "pool":
		// UID PID mine|other CGROUP
		f := strings.SplitN(val, " ", 4)
		if len(f) != 4 {
			return
		}
		uid, err1 := strconv.Atoi(f[0])
		pid, err2 := strconv.Atoi(f[1])
		if err1 != nil || err2 != nil {
			return
		}
		cg := f[3]
		if cg == "-" {
			cg = ""
		}
		o.pool = append(o.pool, poolEntry{uid: uid, pid: pid, mine: f[2] == "mine", cgroup: cg})
	}
}

func (o *oomReport) counter(file string) *oomCounter {
	for _, c := range o.counters {
		if c.file == file {
			return c
		}
	}
	c := &oomCounter{file: file}
	o.counters = append(o.counters, c)
	return c
}

// verdict is how one piece of evidence bears on this build.
type verdict int

const (
	notOurs  verdict = iota // another cgroup, another user, another time
	possible                // this build's cgroup, but shared or unattributable
	ours                    // this build's: rank 1 or 2
)

// attribution is the OOM rule of issue 18 as a table: the first row whose
// condition holds gives the verdict on a kill. where is "self", "daemon"
// or "" (the kill's cgroup is not one the build ran in); others is the
// number of other builds seen busy in that cgroup during the build.
var attribution = []struct {
	name string
	when func(k oomKill, where string, mineUID, buildUser bool, others int) bool
	v    verdict
}{
	// A kernel before 4.19 writes no "oom-kill:" line: no cgroup, no uid.
	{"a kill without its cgroup", func(k oomKill, _ string, _, _ bool, _ int) bool { return k.memcg == "" }, possible},
	{"outside the build's memory cgroups", func(_ oomKill, where string, _, _ bool, _ int) bool { return where == "" }, notOurs},
	// Root without a daemon: the kill's build user is locked by our own
	// nix, which no other build can hold at the same time.
	{"a build user held by this build's nix", func(_ oomKill, _ string, mine, _ bool, _ int) bool { return mine }, ours},
	{"not a build user nor the building user", func(_ oomKill, _ string, _, bu bool, _ int) bool { return !bu }, possible},
	{"a cgroup shared with another running build", func(_ oomKill, _ string, _, _ bool, others int) bool { return others > 0 }, possible},
	{"a build user in the build's own cgroup", func(oomKill, string, bool, bool, int) bool { return true }, ours},
}

// cgroupRole says whether memcg (a task_memcg path) is, or lies under, one
// of the build's cgroups, and which; the root cgroup only matches itself.
func (o *oomReport) cgroupRole(memcg string) (dir, role string) {
	if memcg == "" {
		return "", ""
	}
	for d, r := range o.cgroups {
		if r == "daemon" && o.ownNix() {
			continue
		}
		rel := memcgPath(d)
		if memcg == rel || (rel != "/" && strings.HasPrefix(memcg, rel+"/")) {
			if role == "" || r == "daemon" {
				dir, role = d, r
			}
		}
	}
	return dir, role
}

// ownNix reports whether the build's own nix held a build user (root
// without a daemon): then no nix-daemon built anything of it, and a
// daemon's memory cgroup — often the machine's or the container's, above
// every other cgroup — is not one the build ran in.
func (o *oomReport) ownNix() bool {
	for _, e := range o.pool {
		if e.mine {
			return true
		}
	}
	return false
}

// memcgPath turns a cgroup folder into the path the kernel prints as
// task_memcg: relative to the v1 memory hierarchy or the v2 root.
func memcgPath(dir string) string {
	for _, root := range []string{"/sys/fs/cgroup/memory", "/sys/fs/cgroup/unified", "/sys/fs/cgroup"} {
		if rel, ok := strings.CutPrefix(dir, root); ok && (rel == "" || rel[0] == '/') {
			if rel == "" {
				return "/"
			}
			return rel
		}
	}
	return dir
}

// othersIn counts the other builds seen busy in the cgroup folder dir:
// holders of a build user's lock running there other than this build's
// own nix. Through a daemon (role "daemon") one of its workers is ours.
func (o *oomReport) othersIn(dir, role string) int {
	pids := map[int]bool{}
	for _, e := range o.pool {
		if !e.mine && e.cgroup == dir {
			pids[e.pid] = true
		}
	}
	n := len(pids)
	if role == "daemon" && n > 0 {
		n--
	}
	return n
}

func (o *oomReport) judge(k oomKill) verdict {
	dir, role := o.cgroupRole(k.memcg)
	mine := false
	for _, e := range o.pool {
		mine = mine || (e.mine && k.hasUID && e.uid == k.uid)
	}
	buildUser := k.hasUID && (o.buildUIDs[k.uid] || (o.hasUser && k.uid == o.userUID))
	others := o.othersIn(dir, role)
	for _, row := range attribution {
		if row.when(k, role, mine, buildUser, others) {
			return row.v
		}
	}
	return notOurs
}

// inWindow reports whether a kernel stamp lies in the build's window,
// with a second of slack at either end (the stamps are read by shells).
func (o *oomReport) inWindow(at float64) bool {
	if at < 0 {
		return o.start == 0
	}
	return (o.start == 0 || at >= o.start-1) && (o.end == 0 || at <= o.end+1)
}

// kills are the kernel's OOM kills in the build's window, in log order.
func (o *oomReport) kills() []oomKill { return parseKills(o.kmsg, o.inWindow) }

// evidence weighs what the script read, in the rule's order: (1) an
// "oom-kill:" line in the window, in the build's own cgroup, of a build
// user (or, as root without a daemon, of a build user our own nix held);
// (2) the build's own cgroup's counter rose; (3) anything else — the
// machine's counter alone, a kill in a cgroup shared with another build,
// a kill without an "oom-kill:" line — makes it only possible.
func (o *oomReport) evidence() diagnose.OOM {
	ev := diagnose.OOM{Limit: o.memTotal}
	logRead := o.kmsgRead != "" && o.kmsgRead != "none"
	ev.Readable = logRead
	var rose, machine *oomCounter
	for _, c := range o.counters {
		if !c.hasBefore || !c.hasAfter {
			continue
		}
		ev.Readable = true
		if c.after <= c.before {
			continue
		}
		switch {
		case c.file == "/proc/vmstat":
			machine = c
		case o.cgroups[filepath.Dir(c.file)] == "daemon" && o.ownNix():
			// Not the build's cgroup: see ownNix.
		case rose == nil:
			rose = c
		}
	}
	if rose != nil {
		dir := filepath.Dir(rose.file)
		if lim, ok := o.limits[dir]; ok && (o.memTotal == 0 || lim < o.memTotal) {
			ev.Limit, ev.LimitCgroup = lim, dir
		}
	}
	if o.end == 0 && (len(o.kmsg) > 0 || rose != nil) {
		// An older script's report (or log): no window, no cgroups.
		ev.Unattributed = true
		return ev
	}
	var maybe *oomKill
	if logRead {
		for _, k := range o.kills() {
			switch o.judge(k) {
			case ours:
				ev.Killed, ev.Possible, ev.Line = true, false, k.quote()
				ev.Source = o.kmsgRead
				return ev
			case possible:
				if maybe == nil {
					maybe = &k
				}
			}
		}
	}
	if rose != nil {
		role := o.cgroups[filepath.Dir(rose.file)]
		line := fmt.Sprintf("oom_kill went from %d to %d during the build", rose.before, rose.after)
		if o.othersIn(filepath.Dir(rose.file), role) == 0 && maybe == nil {
			ev.Killed, ev.Source, ev.Line = true, rose.file, line
			return ev
		}
		ev.Possible, ev.Source, ev.Line = true, rose.file, line+", while another build ran in that cgroup"
	}
	if maybe != nil {
		ev.Possible, ev.Source, ev.Line = true, o.kmsgRead, maybe.quote()+", in a memory cgroup shared with another build or by another user"
		return ev
	}
	if ev.Possible {
		return ev
	}
	if machine != nil && !logRead {
		// The kernel log, when read, names every kill the machine's
		// counter counted: none of them was this build's.
		ev.Possible, ev.Source = true, machine.file
		ev.Line = fmt.Sprintf("oom_kill went from %d to %d during the build somewhere on the machine", machine.before, machine.after)
	}
	return ev
}

// witnesses says in words what was read and found no OOM kill, for a
// build killed by signal 9 without one. The build log lists every counter.
func (o *oomReport) witnesses() string {
	var read, cgroups []string
	if o.kmsgRead != "" && o.kmsgRead != "none" {
		read = append(read, "the kernel log ("+o.kmsgRead+")")
	}
	for _, c := range o.counters {
		switch {
		case !c.hasBefore || !c.hasAfter:
		case c.file == "/proc/vmstat" && c.after > c.before:
			// It counted kills elsewhere on the machine: no witness.
		case c.file == "/proc/vmstat":
			read = append(read, c.file)
		default:
			cgroups = append(cgroups, c.file)
		}
	}
	switch len(cgroups) {
	case 0:
	case 1:
		read = append(read, cgroups[0])
	default:
		read = append(read, fmt.Sprintf("the oom_kill counters of %d memory cgroups (listed in the build log)", len(cgroups)))
	}
	if len(read) > 1 {
		return strings.Join(read[:len(read)-1], ", ") + " and " + read[len(read)-1]
	}
	return strings.Join(read, "")
}

// worded puts the evidence's source in the words messages use: a kernel
// log by name, a counter by file and change, and, when nothing was found,
// everything that was read.
func (o *oomReport) worded(oe diagnose.OOM) diagnose.OOM {
	kernel := oe.Source != "" && !strings.HasPrefix(oe.Source, "/")
	switch {
	case (oe.Killed || oe.Possible) && kernel:
		oe.Source = "the kernel log (" + oe.Source + ")"
	case oe.Killed:
		oe.Source, oe.Line = oe.Source+": "+oe.Line, ""
	case oe.Possible:
	case oe.Readable:
		oe.Source = o.witnesses()
	}
	return oe
}
