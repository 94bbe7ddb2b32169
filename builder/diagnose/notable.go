package diagnose

import "strings"

// Notable reports whether a line of Nix's log is one a rule may read
// even when it is far from the log's end: Nix's own lines (errors,
// warnings, what it builds and where, remote builders it skipped) and
// the lines the rules search the whole log for. A build keeps these from
// a long log's middle besides its head and its tail (build.nixText), so
// the diagnosis of a huge log is that of the whole. The line before a
// notable one is kept too (ssh's reason precedes Nix's "cannot build on").
func Notable(line string) bool {
	t := strings.TrimSpace(line)
	if strings.HasPrefix(t, "#") {
		return false
	}
	for _, p := range []string{"error:", "warning:", "building '", "copying ", "these ", "this derivation", "cannot build on ",
		"Failed to find a machine", "waiting for ", "fatal: "} {
		if strings.HasPrefix(t, p) {
			return true
		}
	}
	return saysNoSpace(t) || reFlakeInput.MatchString(t)
}
