package diagnose

import (
	"strings"

	"nixpass/builder"
	"nixpass/builder/lazyre"
)

// reCannotBuildOn is Nix's line for a remote builder it could not use, the
// same from 2.8 to 2.34:
//
//	cannot build on 'ssh-ng://bigbox': error: cannot open connection to remote store 'ssh-ng://bigbox': error: unexpected end-of-file   (2.8)
//	cannot build on 'ssh-ng://bigbox': error: failed to start SSH connection to 'bigbox'                                                (2.26, 2.34)
//	cannot build on 'ssh://bigbox': error: cannot connect to 'bigbox': sh: 1: nix-store: not found                                        (all)
var reCannotBuildOn = lazyre.New(`^cannot build on '([^']+)': (.*)$`)

// RemoteAttempt is one remote builder Nix tried and could not use, with
// ssh's (or the remote shell's) own words for why.
type RemoteAttempt struct {
	// URI is the builder as its machine line names it.
	URI string
	// Cause is ssh's (or the remote shell's) line saying why.
	Cause string
}

// remoteBuilderRule covers a build that failed because no remote
// builder could be used, and says which builder and why, in ssh's own
// words, instead of Nix's misleading last line. The texts, captured by
// .ci/capture-remote-failures.sh into builder/testdata/nix/remote/:
//
//   - Nix prints ssh's stderr line, then the builder it gave up on:
//     "ssh: connect to host 127.0.0.1 port 22: Connection refused",
//     "ssh: Could not resolve hostname bigbox: Name or service not known",
//     "me@bigbox: Permission denied (publickey).",
//     "sh: 1: nix-daemon: not found" (ssh-ng://, no Nix on the remote PATH);
//     over ssh:// the missing nix-store is inside Nix's own line:
//     "cannot connect to 'bigbox': sh: 1: nix-store: not found".
//   - then "cannot build on 'URI': error: …" (see reCannotBuildOn).
//   - and last, with no builder left, 2.8: "error: unable to start any
//     build; remote machines may not have all required system features.",
//     2.26: "error:" then "Unable to start any build;" on the next line,
//     2.34: "Reason: local builds are disabled (max-jobs = 0)".
//
// Nix 2.8 and 2.26 exit 1, 2.34 exits 100. A build that failed for another
// reason while a builder was down (Nix built it locally, and it failed)
// is not this failure: the rule applies only when Nix's last word is
// that no build could start. builder.Kind unavailable: the builder, not the
// expression, is what to fix.
var remoteBuilderRule = Rule{
	Name: "remote-builder", Kind: builder.KindUnavailable,
	Action: say("Check the remote builders, then Build again"),
	Match: func(l *nixLog, _ *Evidence) (Match, bool) {
		text := strings.Join(l.lines, "\n")
		lower := strings.ToLower(text)
		if !strings.Contains(lower, "unable to start any build") && !strings.Contains(lower, "local builds are disabled") {
			return Match{}, false
		}
		attempts := RemoteAttempts(text)
		if len(attempts) == 0 {
			return Match{}, false
		}
		var msgs []string
		for _, a := range attempts {
			msgs = append(msgs, "the remote builder "+a.URI+" "+RemoteVerdict(a.Cause)+": "+a.Cause)
		}
		return Match{Subject: attempts[0].URI, Reason: attempts[0].Cause, What: strings.Join(msgs, "\n")}, true
	},
	Message: func(m Match, _ *Evidence) string { return m.What },
	Hint: func(m Match, ev *Evidence, h *hint) string {
		ping := h.cmd("nix", "--extra-experimental-features", "nix-command", "store", "ping", "--store", m.Subject)
		var s string
		switch remoteCause(m.Reason) {
		case remoteUnreachable:
			s = "check that the builder is up and its name resolves from here, then: " + ping +
				"; to build on this machine while the builders are down, leave [builder] max_jobs out or set it above 0"
		case remoteKeyRejected:
			s = "the builder does not accept the SSH key of its machine line: add the key's .pub to the builder user's ~/.ssh/authorized_keys and check that whoever runs the build (root, or nix-daemon) can read the key; then: " + ping
		case remoteNoNix:
			s = "a non-interactive ssh session on the builder finds no Nix: install Nix there (multi-user), or name its nix-daemon in the URI, e.g. ssh-ng://HOST?remote-program=/nix/var/nix/profiles/default/bin/nix-daemon; then: " + ping
		default:
			s = "check the builder with: " + ping
		}
		if ev.vm() {
			// The VM's nix-daemon (root) is what connects to the builders.
			s += "; in the VM it is root that connects: " + h.cmd("multipass", "exec", ev.Machine.VM, "--", "sudo", "nix", "store", "ping", "--store", m.Subject) +
				"; after changing [builder]: " + h.cmd("nixpass", "vm", "setup")
		}
		return s
	},
}

// RemoteAttempts lists the builders Nix's log says it could not use.
func RemoteAttempts(nixLog string) []RemoteAttempt {
	lines := strings.Split(strings.ReplaceAll(nixLog, "\r", ""), "\n")
	var out []RemoteAttempt
	seen := map[string]bool{}
	for i, l := range lines {
		m := reCannotBuildOn.FindStringSubmatch(l)
		if m == nil || seen[m[1]] {
			continue
		}
		seen[m[1]] = true
		cause := ""
		// ssh's own line comes just before Nix's.
		for j := i - 1; j >= 0 && j >= i-3; j-- {
			if t := strings.TrimSpace(lines[j]); t != "" && !nixOwnLine(t) && !strings.HasPrefix(t, builder.LogCutPrefix) {
				cause = t
				break
			}
		}
		if cause == "" {
			// ssh:// puts the remote shell's words inside Nix's line.
			inner := m[2]
			if k := strings.LastIndex(inner, "': "); k >= 0 {
				inner = inner[k+3:]
			}
			cause = strings.TrimSpace(strings.TrimPrefix(inner, "error: "))
		}
		out = append(out, RemoteAttempt{URI: m[1], Cause: cause})
	}
	return out
}

// nixOwnLine reports whether a log line is Nix's rather than ssh's.
func nixOwnLine(t string) bool {
	for _, p := range []string{"building ", "copying ", "this derivation", "these ", "/nix/store/", "cannot build on ", "error:", "warning:",
		"Failed to find a machine", "derivation:", "required (", "(", "waiting for "} {
		if strings.HasPrefix(t, p) {
			return true
		}
	}
	return strings.HasSuffix(t, "available machines:")
}

type remoteCauseKind int

const (
	remoteOther remoteCauseKind = iota
	remoteUnreachable
	remoteKeyRejected
	remoteNoNix
)

// remoteCause sorts ssh's words into what the user must fix.
func remoteCause(cause string) remoteCauseKind {
	switch {
	case strings.Contains(cause, "Permission denied (publickey"):
		return remoteKeyRejected
	case strings.Contains(cause, "nix-daemon: not found"), strings.Contains(cause, "nix-store: not found"),
		strings.Contains(cause, "nix-daemon: command not found"), strings.Contains(cause, "nix-store: command not found"):
		return remoteNoNix
	}
	for _, s := range []string{"Connection refused", "Could not resolve hostname", "Name or service not known",
		"Temporary failure in name resolution", "No route to host", "Connection timed out", "Network is unreachable"} {
		if strings.Contains(cause, s) {
			return remoteUnreachable
		}
	}
	return remoteOther
}

// RemoteVerdict says in a few words what a builder's failure means:
// "cannot be reached", "rejected the SSH key", "has no Nix on its PATH".
func RemoteVerdict(cause string) string {
	switch remoteCause(cause) {
	case remoteUnreachable:
		return "cannot be reached"
	case remoteKeyRejected:
		return "rejected the SSH key"
	case remoteNoNix:
		return "has no Nix on its PATH"
	}
	return "could not be used"
}
