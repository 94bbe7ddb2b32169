package builder

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// OOMEvidence is what the builder machine could tell, without root, about
// an OOM kill of a build: the kernel log when it is readable (dmesg is
// restricted to root on Debian and Ubuntu, and on a multi-user Nix the
// builder is forked by nix-daemon), otherwise the kernel's OOM-kill
// counters, read before and after the build.
type OOMEvidence struct {
	// Readable says that some witness of OOM kills could be read: the
	// kernel log, /proc/vmstat or a memory cgroup's counter.
	Readable bool
	// Killed says that a witness shows an OOM kill during the build.
	Killed bool
	// Source names the witness that decided: "dmesg", "sudo dmesg",
	// "journalctl -k", "/proc/vmstat" or a cgroup's memory.events or
	// memory.oom_control file.
	Source string
	// Line is the witness's own words: the kernel's OOM-killer line, or
	// how the counter changed.
	Line string
	// Limit is the memory, in bytes, the build could use: the limit of the
	// memory cgroup it was killed in when that is lower than RAM,
	// otherwise RAM; 0 when unknown.
	Limit int64
	// LimitCgroup is the cgroup folder whose limit Limit is, or "" when
	// Limit is the machine's RAM.
	LimitCgroup string
}

// oomCounter is one OOM-kill counter the script read.
type oomCounter struct {
	file          string
	before, after int64
	hasBefore     bool
	hasAfter      bool
}

// oomReport collects the script's "@nixpass oom-count", "mem-limit",
// "mem-total" and "kmsg-read" lines.
type oomReport struct {
	counters []*oomCounter
	limits   map[string]int64
	memTotal int64
	// kmsgRead is the kernel log the script could read, "none", or "" when
	// the script did not say.
	kmsgRead string
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

// evidence weighs what the script read: an OOM-killer line of the kernel
// log logged since the build started (uptime since) comes first, then a
// memory cgroup's counter (it names the cgroup the build ran in), then the
// machine-wide counter of /proc/vmstat.
func (o *oomReport) evidence(kmsg []string, since float64) OOMEvidence {
	ev := OOMEvidence{Limit: o.memTotal}
	logRead := o.kmsgRead != "" && o.kmsgRead != "none"
	ev.Readable = logRead
	var rose *oomCounter
	for _, c := range o.counters {
		if !c.hasBefore || !c.hasAfter {
			continue
		}
		ev.Readable = true
		if c.after > c.before && (rose == nil || rose.file == "/proc/vmstat") {
			rose = c
		}
	}
	if rose != nil {
		dir := filepath.Dir(rose.file)
		if lim, ok := o.limits[dir]; ok && (o.memTotal == 0 || lim < o.memTotal) {
			ev.Limit, ev.LimitCgroup = lim, dir
		}
	}
	if logRead {
		if line, _, ok := kernelOOM(kmsg, since); ok {
			ev.Killed, ev.Line = true, line
			ev.Source = o.kmsgRead
			return ev
		}
	}
	if rose != nil {
		ev.Killed, ev.Source = true, rose.file
		ev.Line = fmt.Sprintf("oom_kill went from %d to %d during the build", rose.before, rose.after)
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
