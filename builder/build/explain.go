package build

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"nixpass/builder"
	"nixpass/builder/diagnose"
	"nixpass/builder/machine"
	"nixpass/builder/shq"
)

// Explain diagnoses a Nix log read from elsewhere (a CI log, a pasted
// one) with the same table as a build, for the builder m (nil: none in
// particular); the project is unknown, so hints name it DIR. Its text is
// cleaned like a build's, URLs' user info masked.
//
// A nixpass build log also carries the kernel's evidence of an OOM kill
// ("# " lines: the build's window, memory cgroups, counters and the kills
// in those cgroups); the same OOM rule as the build's weighs it.
func Explain(ctx context.Context, m machine.Machine, log string) diagnose.Diagnosis {
	ev := machine.Evidence(ctx, m)
	ev.Signal, ev.OOM = logEvidence(log)
	d := diagnose.Diagnose(log, ev)
	d.Message, d.Hint = cleanText(d.Message), cleanText(d.Hint)
	return d
}

// CheckSource reports a project whose Nix file or local flake is not
// there as a usage error naming what was looked for, before any build
// starts (so no history record is written for it).
func CheckSource(p builder.Project) error {
	var want string
	switch {
	case p.Flake != "":
		ref, _, _ := strings.Cut(p.Flake, "#")
		ref = strings.TrimPrefix(ref, "path:")
		switch {
		case ref == "" || ref == ".":
			want = filepath.Join(p.Dir, "flake.nix")
		case strings.HasPrefix(ref, "./") || strings.HasPrefix(ref, "../"):
			want = filepath.Join(p.Dir, ref, "flake.nix")
		case strings.HasPrefix(ref, "/"):
			want = filepath.Join(ref, "flake.nix")
		default:
			return nil // a remote flake: Nix fetches it
		}
	case p.File != "":
		want = filepath.Join(p.Dir, p.File)
	default:
		return nil
	}
	st, err := os.Stat(want)
	if err == nil && !st.IsDir() {
		return nil
	}
	if err == nil && st.IsDir() && p.Flake == "" {
		// nix-build accepts a folder holding default.nix.
		if _, err := os.Stat(filepath.Join(want, "default.nix")); err == nil {
			return nil
		}
	}
	what := "Nix file " + p.File
	hint := fmt.Sprintf("create %s, or say what to build: %s (or --flake REF)", want, shq.Join("nixpass", "add", p.Dir, "--file", "FILE"))
	if p.Flake != "" {
		what = "flake " + p.Flake
		hint = "create " + want + ", or fix the flake reference: " + shq.Join("nixpass", "add", p.Dir, "--flake", "REF")
	}
	return &builder.Error{Kind: builder.KindConfig, Err: err,
		Message: fmt.Sprintf("nothing to build in %s: the %s needs %s, which does not exist", p.Dir, what, want),
		Hint:    hint}
}

// logEvidence reads back the OOM evidence a nixpass build log holds: the
// "# KEY VALUE" lines of the script's report (protocol.go), of its last
// attempt. A log without them gives none.
func logEvidence(log string) (signal int, oom diagnose.OOM) {
	var o oomReport
	seen := false
	for _, l := range strings.Split(log, "\n") {
		rest, ok := strings.CutPrefix(l, "# ")
		if !ok {
			continue
		}
		if strings.HasPrefix(rest, "attempt ") {
			// A later attempt: its report replaces the earlier one's.
			o, signal, seen = oomReport{}, 0, false
			continue
		}
		key, val, _ := strings.Cut(rest, " ")
		switch {
		case key == "signal":
			signal, _ = strconv.Atoi(val)
		case oomKeys[key]:
			o.line(key, val)
			seen = true
		}
	}
	if !seen {
		return signal, diagnose.OOM{}
	}
	oom = o.worded(o.evidence())
	return signal, oom
}
