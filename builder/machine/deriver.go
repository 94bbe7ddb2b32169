package machine

import (
	"context"
	"strings"

	"nixpass/builder"
)

// Deriver is implemented by machines that can say which derivations a
// project evaluates to without building it: a build of a project that
// is being built already joins that build only when both evaluate to the
// same (the running build notes its own, store.RunningMarker.Drv).
type Deriver interface {
	// Derivation evaluates p read-only (nothing written to the store,
	// nothing built, no builder lock) and returns its derivations as the
	// build script says them; ok is false when the evaluation failed or
	// the machine cannot evaluate now (a stopped VM): the caller then
	// builds by itself, and that build explains any failure.
	Derivation(ctx context.Context, p builder.Project) (drv string, ok bool)
}

// DerivationArgs is the build script's argv for the read-only evaluation
// of p in dir, the project folder as the machine sees it.
func DerivationArgs(p builder.Project, dir string) []string {
	return append([]string{"drv", "--dir", dir}, SourceArgs(p)...)
}

// SourceArgs is the build script's argv naming what p evaluates to: its
// flake, or its Nix file and attribute, then its extra Nix arguments and
// its system. The build and the read-only evaluation share it, so that
// both evaluate the same thing.
func SourceArgs(p builder.Project) []string {
	var args []string
	if p.Flake != "" {
		args = append(args, "--flake", p.Flake)
	} else {
		args = append(args, "--file", p.File)
		if p.Attr != "" {
			args = append(args, "--attr", p.Attr)
		}
	}
	for _, a := range p.Args {
		args = append(args, "--nix-arg", a)
	}
	if p.System != "" {
		args = append(args, "--system", p.System)
	}
	return args
}

// DerivationSaid is the derivations a "@nixpass drv" line in the script's
// stdout names, or "".
func DerivationSaid(stdout string) string {
	for line := range strings.SplitSeq(stdout, "\n") {
		if d, ok := strings.CutPrefix(line, "@nixpass drv "); ok {
			return strings.TrimSpace(d)
		}
	}
	return ""
}
