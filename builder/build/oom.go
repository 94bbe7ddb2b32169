package build

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"nixpass/builder/diagnose"
	"nixpass/builder/lazyre"
)

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
func (o *oomReport) evidence(kmsg []string, since float64) diagnose.OOM {
	ev := diagnose.OOM{Limit: o.memTotal}
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

var (
	// The kernel's OOM killer: global ("Out of memory: Killed process")
	// and cgroup ("Memory cgroup out of memory: Killed process").
	reKernelOOM = lazyre.New(`(?i)out of memory.*Killed process (\d+) \(([^)]*)\)`)
	reKmsgTime  = lazyre.New(`^\[\s*(\d+\.\d+)\]`)
)

// kernelOOM returns the first OOM-killer line logged at or after since
// (seconds since boot), and the name of the killed process.
func kernelOOM(kmsg []string, since float64) (line, comm string, ok bool) {
	for _, l := range kmsg {
		m := reKernelOOM.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		if t := reKmsgTime.FindStringSubmatch(l); t != nil && since > 0 {
			ts, _ := strconv.ParseFloat(t[1], 64)
			// A second of slack: the uptime is read before nix starts.
			if ts < since-1 {
				continue
			}
		}
		msg := strings.TrimSpace(reKmsgTime.ReplaceAllString(l, ""))
		if i := strings.Index(msg, " total-vm:"); i > 0 {
			msg = strings.TrimSuffix(msg[:i], ",")
		}
		return msg, m[2], true
	}
	return "", "", false
}
