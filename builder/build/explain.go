package build

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
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
func Explain(ctx context.Context, m machine.Machine, log string) diagnose.Diagnosis {
	d := diagnose.Diagnose(log, machine.Evidence(ctx, m))
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
