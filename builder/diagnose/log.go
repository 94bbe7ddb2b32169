package diagnose

import (
	"strings"

	"nixpass/builder"
	"nixpass/builder/lazyre"
)

// nixLog is Nix's log split for the rules: all lines, and the error
// lines (not warnings) with their indices.
type nixLog struct {
	lines []string
	// errs are the indices of lines that, trimmed, start with "error:".
	errs []int
}

var reANSI = lazyre.New("\x1b\\[[0-9;]*[A-Za-z]")

func parse(s string) *nixLog {
	s = reANSI.ReplaceAllString(strings.ReplaceAll(s, "\r", ""), "")
	l := &nixLog{}
	for _, line := range strings.Split(s, "\n") {
		// nixpass's own mark where a long stored log was cut is not Nix's.
		if !strings.HasPrefix(line, builder.LogCutPrefix) {
			l.lines = append(l.lines, line)
		}
	}
	for i, line := range l.lines {
		if strings.HasPrefix(strings.TrimSpace(line), "error:") {
			l.errs = append(l.errs, i)
		}
	}
	return l
}

// find returns the submatches of re on the first error line (or its
// continuation) that matches, and that line's index.
func (l *nixLog) find(re *lazyre.Regexp) ([]string, int) {
	for _, i := range l.errs {
		if m := re.FindStringSubmatch(errorText(l.lines, i)); m != nil {
			return m, i
		}
	}
	return nil, -1
}

// findLine returns the submatches of re on the first line of the whole
// log (warnings excluded) that matches, and its index.
func (l *nixLog) findLine(re *lazyre.Regexp) ([]string, int) {
	for i, line := range l.lines {
		if strings.HasPrefix(strings.TrimSpace(line), "warning:") {
			continue
		}
		if m := re.FindStringSubmatch(line); m != nil {
			return m, i
		}
	}
	return nil, -1
}

// findLineWhere is the index of the first line of the whole log
// (warnings excluded) for which says is true; -1 when none is.
func (l *nixLog) findLineWhere(says func(string) bool) int {
	for i, line := range l.lines {
		if strings.HasPrefix(strings.TrimSpace(line), "warning:") {
			continue
		}
		if says(line) {
			return i
		}
	}
	return -1
}

// innermost is the index of the error line that names the real mistake:
// Nix 2.13+ prints an evaluation trace ("… while evaluating") whose last
// "error:" is the innermost one. -1 when there is no error.
func (l *nixLog) innermost() int {
	if len(l.errs) == 0 {
		return -1
	}
	at := l.errs[0]
	for _, i := range l.errs[1:] {
		// An unindented error after a trace is a new failure, such as
		// "builder for … failed"; the trace's errors are indented.
		if !strings.HasPrefix(l.lines[i], " ") {
			break
		}
		at = i
	}
	return at
}

var reAt = lazyre.New(`^\s*at (.+:\d+:\d+):\s*$`)

// position is FILE:LINE:COL of the error at line i: the "at" line after
// it, or else the innermost trace frame before it.
func (l *nixLog) position(i int) string {
	for j := i + 1; j < len(l.lines) && j < i+6; j++ {
		if m := reAt.FindStringSubmatch(l.lines[j]); m != nil {
			return m[1]
		}
		if strings.HasPrefix(strings.TrimSpace(l.lines[j]), "error:") {
			break
		}
	}
	for j := i - 1; j >= 0; j-- {
		if m := reAt.FindStringSubmatch(l.lines[j]); m != nil && !strings.HasPrefix(m[1], "«") && !strings.HasPrefix(m[1], "<") {
			return m[1]
		}
		if l.lines[j] != "" && !strings.HasPrefix(l.lines[j], " ") {
			break
		}
	}
	return ""
}

// errorText is the message of the error at line i, joined with its
// continuation lines up to the first blank one.
func errorText(lines []string, i int) string {
	text := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(lines[i]), "error:"))
	for _, l := range lines[i+1:] {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "at ") || strings.HasPrefix(t, "error:") || strings.HasPrefix(t, "…") ||
			strings.HasPrefix(t, "(use '--show-trace'") || !strings.HasPrefix(l, " ") {
			break
		}
		if text != "" {
			text += " "
		}
		text += t
	}
	return text
}

var (
	reLastLines = lazyre.New(`^\s*[Ll]ast \d+ log lines:`)
	reTailLine  = lazyre.New(`^\s*> ?(.*)$`)
	reBuilding  = lazyre.New(`^building '([^']+)'`)
)

const tailLines = 10

// tail is the last lines of the failing builder's log: the "> " lines
// Nix 2.13+ prints after "last N log lines:", or what older Nix printed
// between "building '<drv>'..." and the error at errAt.
func (l *nixLog) tail(errAt int, drv string) []string {
	for i := errAt; i < len(l.lines) && i < errAt+8; i++ {
		if !reLastLines.MatchString(l.lines[i]) {
			continue
		}
		var t []string
		for _, line := range l.lines[i+1:] {
			m := reTailLine.FindStringSubmatch(line)
			if m == nil {
				break
			}
			t = append(t, m[1])
		}
		return lastN(t, tailLines)
	}
	start := -1
	for i := errAt - 1; i >= 0; i-- {
		if m := reBuilding.FindStringSubmatch(l.lines[i]); m != nil && (drv == "" || m[1] == drv) {
			start = i + 1
			break
		}
	}
	if start < 0 {
		return nil
	}
	var out []string
	for _, line := range l.lines[start:errAt] {
		t := strings.TrimSpace(line)
		if reBuilding.MatchString(line) || t == "" || strings.HasPrefix(t, "warning:") {
			continue
		}
		out = append(out, line)
	}
	return lastN(out, tailLines)
}

func lastN(s []string, n int) []string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// LastNonEmpty is the last line of lines that is not blank, trimmed;
// "" when there is none.
func LastNonEmpty(lines []string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		if t := strings.TrimSpace(lines[i]); t != "" {
			return t
		}
	}
	return ""
}
