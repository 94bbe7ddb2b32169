package builder

import (
	"regexp"
	"strconv"
	"strings"
)

var (
	reBuilding = regexp.MustCompile(`^building '([^']+)'`)
	// The kernel's OOM killer: global ("Out of memory: Killed process")
	// and cgroup ("Memory cgroup out of memory: Killed process").
	reKernelOOM = regexp.MustCompile(`(?i)out of memory.*Killed process (\d+) \(([^)]*)\)`)
	reKmsgTime  = regexp.MustCompile(`^\[\s*(\d+\.\d+)\]`)
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

func lastNonEmpty(lines []string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		if t := strings.TrimSpace(lines[i]); t != "" {
			return t
		}
	}
	return ""
}
