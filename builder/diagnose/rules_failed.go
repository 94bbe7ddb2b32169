package diagnose

import (
	"fmt"
	"regexp"
	"strings"

	"nixpass/builder"
)

// builderFailedRule covers a builder that failed: 2.8–2.23 "error:
// builder for '/nix/store/…drv' failed with exit code 3" or "… failed due
// to signal 9 (Killed)" (2.13+ add "; last 10 log lines:" and "> " lines);
// 2.24+ "error: Cannot build '/nix/store/…drv'. / Reason: builder failed
// with exit code 3." or "… due to signal 9 (Killed)." (2.34), and "builder
// for '…' failed to produce output path …" (testdata/*/build-*.txt and
// builder/testdata/nix). A signal 9 is an OOM kill only when the machine's
// evidence shows one.
var builderFailedRule = Rule{
	Name: "builder-failed", Kind: builder.KindBuild,
	Action: signalAction,
	Match: func(l *nixLog, ev *Evidence) (Match, bool) {
		var out Match
		at := -1
		if m, i := l.find(reBuilder); m != nil {
			out = Match{Drv: m[1], What: "failed " + m[2]}
			if m[4] != "" {
				fmt.Sscan(m[4], &out.Signal)
			}
			at = i
		} else if m, i := l.find(reCannotBuild); m != nil {
			text := errorText(l.lines, i)
			r := reReason.FindStringSubmatch(text)
			if r == nil {
				return Match{}, false
			}
			out = Match{Drv: m[1], What: "failed " + r[1]}
			if r[3] != "" {
				fmt.Sscan(r[3], &out.Signal)
			}
			at = i
		} else if m, i := l.find(reNoOutput); m != nil {
			out = Match{Drv: m[1], What: m[2]}
			at = i
		} else {
			return Match{}, false
		}
		if out.Signal == 0 {
			out.Signal = ev.Signal
		}
		out.Tail = l.tail(at, out.Drv)
		return out, true
	},
	KindOf:  signalKind,
	Message: func(m Match, ev *Evidence) string { return signalMessage("the builder for "+drvName(m.Drv), m, ev) },
	Hint: func(m Match, ev *Evidence, h *hint) string {
		if m.Signal == 9 {
			return signalHint(ev, h)
		}
		if ev.Project.Dir != "" {
			return "read the builder's log above or in full: " + h.cmd("nixpass", "logs", ev.Project.Dir)
		}
		return "read the builder's own log lines above the error"
	},
}

// nixKilledRule covers nix itself killed by a signal (the build script's
// report), whatever the log says before the cut.
var nixKilledRule = Rule{
	Name: "nix-killed", Kind: builder.KindBuild,
	Action: signalAction,
	Match: func(_ *nixLog, ev *Evidence) (Match, bool) {
		return Match{Signal: ev.Signal, What: fmt.Sprintf("was killed by signal %d", ev.Signal)}, ev.Signal != 0
	},
	KindOf:  signalKind,
	Message: func(m Match, ev *Evidence) string { return signalMessage("nix", m, ev) },
	Hint: func(m Match, ev *Evidence, h *hint) string {
		if m.Signal == 9 {
			return signalHint(ev, h)
		}
		return "something stopped nix on " + ev.where() + " (signal " + fmt.Sprint(m.Signal) + "); build again"
	},
}

var reKilledComm = regexp.MustCompile(`Killed process \d+ \(([^)]*)\)`)

func signalKind(m Match, ev *Evidence) builder.Kind {
	if m.Signal == 9 && ev.OOM.Killed {
		return builder.KindOOM
	}
	return builder.KindBuild
}

// signalMessage words a failure honestly: an OOM kill only with evidence,
// "could not be read" when there was none to read.
func signalMessage(who string, m Match, ev *Evidence) string {
	var s string
	switch {
	case m.Signal == 9 && ev.OOM.Killed:
		s = who + " ran out of memory: the kernel killed it"
		if c := reKilledComm.FindStringSubmatch(ev.OOM.Line); c != nil {
			s = who + " ran out of memory: the kernel killed " + c[1]
		}
		if ev.OOM.Line != "" {
			s += " (" + ev.OOM.Line + ")"
		} else if ev.OOM.Source != "" {
			s += " (" + ev.OOM.Source + ")"
		}
	case m.Signal == 9 && ev.OOM.Readable:
		src := ev.OOM.Source
		if src == "" {
			src = "the kernel log"
		}
		s = fmt.Sprintf("%s was killed by signal 9, but %s recorded no OOM kill during the build", who, src)
	case m.Signal == 9:
		s = who + " was killed by signal 9; the kernel log could not be read, so whether memory ran out is unknown"
	case m.Signal != 0:
		s = fmt.Sprintf("%s was killed by signal %d", who, m.Signal)
	default:
		s = who + " " + m.What
	}
	if len(m.Tail) > 0 {
		s += "\n" + strings.Join(m.Tail, "\n")
	}
	return s
}

func signalHint(ev *Evidence, h *hint) string {
	if ev.OOM.Killed {
		return ev.memoryHint(h)
	}
	return "if memory is short: " + ev.memoryHint(h)
}

// buildOtherRule covers any other error after Nix started building, such
// as "error: cycle detected in build of '…' in the references of output
// 'dev' from output 'out'" (2.8, 2.26, 2.34: testdata/*/build-cycle.txt):
// a build failure, not an evaluation error.
var buildOtherRule = Rule{
	Name: "build-other", Kind: builder.KindBuild,
	Action: say("Show log"),
	Match: func(l *nixLog, _ *Evidence) (Match, bool) {
		if len(l.errs) == 0 {
			return Match{}, false
		}
		first := l.errs[0]
		for i := first - 1; i >= 0; i-- {
			if b := reBuilding.FindStringSubmatch(l.lines[i]); b != nil {
				what := errorText(l.lines, l.innermost())
				if what == "" {
					what = LastNonEmpty(l.lines)
				}
				return Match{What: what, Drv: b[1]}, true
			}
		}
		return Match{}, false
	},
	Message: func(m Match, ev *Evidence) string { return "the build failed on " + ev.where() + ": " + m.What },
	Hint: func(_ Match, ev *Evidence, h *hint) string {
		if ev.Project.Dir != "" {
			return "read the full log: " + h.cmd("nixpass", "logs", ev.Project.Dir)
		}
		return "read the lines above the error"
	},
}

// evalRule covers every other error: an evaluation error, whose innermost
// "error:" names the mistake (2.8 "error: undefined variable 'pkgz'" then
// "at FILE:L:C:"; 2.13+ the same at the end of a "… while evaluating"
// trace; testdata/*/eval-*.txt, builder/testdata/nix/*-eval-*.txt).
var evalRule = Rule{
	Name: "eval", Kind: builder.KindEval,
	Action: say("Fix the Nix expression"),
	Match: func(l *nixLog, _ *Evidence) (Match, bool) {
		i := l.innermost()
		if i < 0 {
			return Match{}, false
		}
		what := errorText(l.lines, i)
		if what == "" {
			what = "Nix reported an error without a text: " + LastNonEmpty(l.lines)
		}
		return Match{What: what, Position: l.position(i)}, true
	},
	Message: func(m Match, _ *Evidence) string {
		if m.Position != "" {
			return m.What + " at " + m.Position
		}
		return m.What
	},
	Hint: func(m Match, ev *Evidence, h *hint) string {
		s := "fix the Nix expression and save"
		if m.Position != "" {
			s = "fix the expression at " + m.Position + " and save"
		}
		if c := ev.checkCommand(h); c != "" {
			s += "; check it with: " + c
		}
		return s
	},
}
