package diagnose

import (
	"regexp"
	"strings"

	"nixpass/builder"
)

// rePushLine is one of nixpass's own push lines in a build log, written
// by builder/registry:
//
//	# push: 127.0.0.1:5000/team/app:v1: start
//	# push: 127.0.0.1:5000/team/app:v1: failed: push to 127.0.0.1:5000 failed: the connection was refused: …
//	# push: 127.0.0.1:5000/team/app:v1: hint: Nothing answers at 127.0.0.1:5000: …
//	# push: 127.0.0.1:5000/team/app:v1: pushed sha256:… (1 layers uploaded, 0 existing, 1234 bytes)
var rePushLine = regexp.MustCompile(`^# push: (\S+): (start|failed|hint|pushed)\b:? ?(.*)$`)

// pushRule: the log's last push ended in failure. It comes first in the
// table: a push runs only after a build succeeded, so its failure is the
// log's verdict even where earlier lines hold errors Nix recovered from.
// A later push of the same log that succeeded wins.
var pushRule = Rule{
	Name: "push", Kind: builder.KindPush,
	Action: say("Fix the push, then push again"),
	Match: func(l *nixLog, _ *Evidence) (Match, bool) {
		var m Match
		failed := false
		for _, line := range l.lines {
			p := rePushLine.FindStringSubmatch(strings.TrimRight(line, "\r"))
			if p == nil {
				continue
			}
			switch p[2] {
			case "start", "pushed":
				failed, m = false, Match{}
			case "failed":
				failed, m = true, Match{Subject: p[1], What: p[3]}
			case "hint":
				if failed && p[1] == m.Subject {
					m.Reason = p[3]
				}
			}
		}
		return m, failed
	},
	Message: func(m Match, _ *Evidence) string { return m.What },
	Hint: func(m Match, _ *Evidence, _ *hint) string {
		if m.Reason != "" {
			return m.Reason
		}
		return "Run `nixpass push` again once the registry is reachable."
	},
}
