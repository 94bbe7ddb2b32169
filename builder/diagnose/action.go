package diagnose

import "nixpass/builder"

// actionMax is the longest Action: it must fit a menu line beside the
// other lines and a notification's second line.
const actionMax = 60

// say is an Action that reads the same whatever the match.
func say(s string) func(Match, *Evidence) string {
	return func(Match, *Evidence) string { return s }
}

// signalAction is the short remedy of a build killed by a signal: memory
// for a SIGKILL, the log otherwise.
func signalAction(m Match, ev *Evidence) string {
	if m.Signal == 9 {
		return ev.memoryAction()
	}
	return "Show log"
}

// memoryAction names the memory to raise, with its size when known:
// "Give the build more memory (limit 200 MiB)".
func (ev *Evidence) memoryAction() string {
	m := ev.Machine
	switch {
	case ev.vm() && m.Memory > 0:
		return "Give the builder VM more memory (has " + builder.HumanGiB(RoundGiB(m.Memory)) + ")"
	case ev.vm():
		return "Give the builder VM more memory"
	case m.MemLimit > 0 && (m.Memory == 0 || m.MemLimit < m.Memory):
		return "Give the build more memory (limit " + builder.HumanGiB(m.MemLimit) + ")"
	}
	return "Give the build more memory, or run fewer jobs"
}
