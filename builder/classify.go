package builder

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// failure is what the Nix log says went wrong, before the machine's own
// evidence (kernel log, script errors) is weighed in.
type failure struct {
	kind Kind
	// what is the first line of the message: the error and where.
	what string
	// drv is the failing derivation, for build failures.
	drv string
	// signal is the signal that killed the builder, 0 if none.
	signal int
	// tail holds the last lines of the failing builder's log.
	tail []string
	// position is FILE:LINE:COL of an evaluation error.
	position string
}

var (
	// Nix 2.0-2.23: "error: builder for '/nix/store/x.drv' failed with exit code 3"
	// or "... failed due to signal 9 (Killed)", with a trailing ";" when a
	// log tail follows.
	reBuilderFor = regexp.MustCompile(`^error: builder for '([^']+)' failed (with exit code (\d+)|due to signal (\d+) \(([^)]*)\))`)
	// Nix 2.24+: "error: Cannot build '/nix/store/x.drv'." then
	// "Reason: builder failed with exit code 3." or "... due to signal 9 (Killed)."
	reCannotBuild = regexp.MustCompile(`Cannot build '([^']+)'\.`)
	reReason      = regexp.MustCompile(`^\s*Reason: builder failed (with exit code (\d+)|due to signal (\d+) \(([^)]*)\))`)
	reLastLines   = regexp.MustCompile(`^\s*[Ll]ast \d+ log lines:`)
	reTailLine    = regexp.MustCompile(`^\s*> ?(.*)$`)
	reAt          = regexp.MustCompile(`^\s*at (.+:\d+:\d+):\s*$`)
	reBuilding    = regexp.MustCompile(`^building '([^']+)'`)
	// The kernel's OOM killer: global ("Out of memory: Killed process")
	// and cgroup ("Memory cgroup out of memory: Killed process").
	reKernelOOM = regexp.MustCompile(`(?i)out of memory.*Killed process (\d+) \(([^)]*)\)`)
	reKmsgTime  = regexp.MustCompile(`^\[\s*(\d+\.\d+)\]`)
)

const tailLines = 10

// classifyNixLog reads Nix's log (stderr of nix-build or nix build) and
// says what kind of failure it shows.
func classifyNixLog(log string) failure {
	lines := strings.Split(strings.ReplaceAll(log, "\r", ""), "\n")
	for _, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "warning:") {
			continue
		}
		if strings.Contains(l, "No space left on device") {
			return failure{kind: KindDiskFull, what: strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "error:"))}
		}
	}
	first := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "error:") {
			first = i
			break
		}
	}
	if first < 0 {
		return failure{kind: KindBuild, what: lastNonEmpty(lines)}
	}
	if f, ok := builderFailure(lines, first); ok {
		return f
	}
	if sawBuilding(lines[:first]) {
		return failure{kind: KindBuild, what: errorText(lines, first)}
	}
	return evalFailure(lines, first)
}

func builderFailure(lines []string, first int) (failure, bool) {
	f := failure{kind: KindBuild}
	reasonAt := first
	if m := reBuilderFor.FindStringSubmatch(lines[first]); m != nil {
		f.drv = m[1]
		f.signal, _ = strconv.Atoi(m[4])
		f.what = fmt.Sprintf("builder for %s failed %s", drvName(f.drv), m[2])
	} else if m := reCannotBuild.FindStringSubmatch(lines[first]); m != nil {
		f.drv = m[1]
		f.what = "cannot build " + drvName(f.drv)
		for i := first + 1; i < len(lines) && i < first+4; i++ {
			if r := reReason.FindStringSubmatch(lines[i]); r != nil {
				f.signal, _ = strconv.Atoi(r[3])
				f.what = fmt.Sprintf("builder for %s failed %s", drvName(f.drv), r[1])
				reasonAt = i
				break
			}
		}
	} else {
		return f, false
	}
	f.tail = quotedTail(lines, reasonAt)
	if len(f.tail) == 0 {
		f.tail = builderOutput(lines, first, f.drv)
	}
	return f, true
}

// quotedTail returns the "> " lines Nix prints after "last N log lines:".
func quotedTail(lines []string, from int) []string {
	for i := from; i < len(lines) && i < from+8; i++ {
		if !reLastLines.MatchString(lines[i]) {
			continue
		}
		var tail []string
		for _, l := range lines[i+1:] {
			m := reTailLine.FindStringSubmatch(l)
			if m == nil {
				break
			}
			tail = append(tail, m[1])
		}
		return lastN(tail, tailLines)
	}
	return nil
}

// builderOutput returns the builder's own lines, which old Nix prints
// between "building '<drv>'..." and the error.
func builderOutput(lines []string, errAt int, drv string) []string {
	start := -1
	for i := errAt - 1; i >= 0; i-- {
		if m := reBuilding.FindStringSubmatch(lines[i]); m != nil && (drv == "" || m[1] == drv) {
			start = i + 1
			break
		}
	}
	if start < 0 {
		return nil
	}
	var out []string
	for _, l := range lines[start:errAt] {
		if reBuilding.MatchString(l) || strings.TrimSpace(l) == "" {
			continue
		}
		out = append(out, l)
	}
	return lastN(out, tailLines)
}

func evalFailure(lines []string, first int) failure {
	// Nix 2.13+ prints an evaluation trace ("… while evaluating") whose
	// innermost "error:" is the one that names the real mistake.
	errAt := first
	for i := first + 1; i < len(lines); i++ {
		if strings.HasPrefix(strings.TrimSpace(lines[i]), "error:") {
			errAt = i
		}
	}
	f := failure{kind: KindEval, what: errorText(lines, errAt)}
	for i := errAt + 1; i < len(lines) && i < errAt+6; i++ {
		if m := reAt.FindStringSubmatch(lines[i]); m != nil {
			f.position = m[1]
			break
		}
	}
	return f
}

// errorText is the message of the error at line i, joined with its
// continuation lines up to the first blank one.
func errorText(lines []string, i int) string {
	text := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(lines[i]), "error:"))
	for _, l := range lines[i+1:] {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "at ") || strings.HasPrefix(t, "error:") || strings.HasPrefix(t, "…") {
			break
		}
		if text != "" {
			text += " "
		}
		text += t
	}
	return text
}

func sawBuilding(lines []string) bool {
	for _, l := range lines {
		if reBuilding.MatchString(l) {
			return true
		}
	}
	return false
}

// drvName turns /nix/store/<hash>-name.drv into name.
func drvName(p string) string {
	base := p[strings.LastIndex(p, "/")+1:]
	if i := strings.IndexByte(base, '-'); i == 32 {
		base = base[i+1:]
	}
	return strings.TrimSuffix(base, ".drv")
}

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

func lastN(s []string, n int) []string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func lastNonEmpty(lines []string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		if t := strings.TrimSpace(lines[i]); t != "" {
			return t
		}
	}
	return ""
}
