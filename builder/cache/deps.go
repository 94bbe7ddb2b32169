package cache

import (
	"context"
	"fmt"
	"strings"

	"nixpass/builder/runner"
)

// BuildDeps returns the build-time closure of the derivation drv that
// exists in the store (what include_build_deps uploads: sources, build
// tools and their outputs; no .drv files, which no substituter needs), and
// keeps it alive as garbage-collector roots under rootBase (rootBase,
// rootBase-2, ...: a folder the caller owns, such as the build's state
// folder) until release removes them, when the upload has ended.
func (up Upload) BuildDeps(ctx context.Context, drv, rootBase string) (paths []string, release func(ctx context.Context), err error) {
	ns := up.NixStore
	if ns == "" {
		ns = "nix-store"
	}
	res, err := up.Runner.Run(ctx, runner.Cmd{Name: ns, Args: []string{"--query", "--requisites", "--include-outputs", "--", drv}})
	if err != nil {
		return nil, nil, fmt.Errorf("build-time closure of %s: %w", drv, err)
	}
	for _, p := range strings.Fields(string(res.Stdout)) {
		if !strings.HasSuffix(p, ".drv") {
			paths = append(paths, p)
		}
	}
	if len(paths) == 0 {
		return nil, func(context.Context) {}, nil
	}
	// Realising a valid path only adds its root; outputs already
	// collected are not rebuilt (--max-jobs 0) and fail here instead.
	args := append([]string{"--realise", "--max-jobs", "0", "--add-root", rootBase, "--indirect", "--"}, paths...)
	if _, err := up.Runner.Run(ctx, runner.Cmd{Name: ns, Args: args}); err != nil {
		return nil, nil, fmt.Errorf("keep the build-time closure of %s: %w", drv, err)
	}
	release = func(ctx context.Context) {
		rm := []string{"-f", "--", rootBase}
		for i := 2; i <= len(paths); i++ {
			rm = append(rm, fmt.Sprintf("%s-%d", rootBase, i))
		}
		// The links live where the closure does (this host or the VM).
		_, _ = up.Runner.Run(ctx, runner.Cmd{Name: "rm", Args: rm})
	}
	return paths, release, nil
}
