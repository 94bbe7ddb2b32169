package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"nixpass/builder/build"
	"nixpass/builder/core"

	"nixpass/app/cliout"
	"nixpass/builder"
	"nixpass/builder/clean"
	"nixpass/builder/config"
)

func cmdBuild(c *cli, ctx context.Context, args []string) int {
	fs := c.flags("build")
	asJSON := fs.Bool("json", false, "print the result as one JSON object")
	pos, code, ok := c.parseArgs(fs, args, 0, 1)
	if !ok {
		return code
	}
	dir, err := absDir(strings.Join(pos, ""))
	if err != nil {
		return c.fail(err)
	}
	e, err := c.load()
	if err != nil {
		return c.fail(err)
	}
	p, ok := e.Config.Project(dir)
	if !ok {
		np := config.NewProject(dir)
		p = &np
	}
	req := core.Request(*p)
	if err := build.CheckSource(req); err != nil {
		return c.fail(err)
	}
	// One build per request: a build of the same request already running
	// (the app builds a project as soon as it is added) is joined when it
	// builds the derivations the project evaluates to now.
	var res *builder.Result
	drv := &build.Builder{Machine: e.Machine}
	if m, ok := joinable(ctx, e.Store, drv, req, cliout.CleanWriter{W: c.stderr}); ok {
		fmt.Fprintf(c.stderr, "nixpass: %s is being built already (pid %d, since %s): waiting for that build; log %s\n",
			clean.Line(dir), m.PID, m.Started.Local().Format("15:04:05"), clean.Line(m.Log))
		var logw io.Writer = io.Discard
		if !*asJSON {
			logw = cliout.CleanWriter{W: c.stderr}
		}
		res = join(ctx, e.Store, drv, req, m, logw)
		switch {
		case res == nil && ctx.Err() != nil:
			res = &builder.Result{Project: dir, Status: builder.StatusFailed, Kind: builder.KindCancelled,
				Message: "stopped waiting for the running build of " + dir, Hint: "that build goes on in the nixpass that started it (pid " + fmt.Sprint(m.PID) + ")"}
		case res == nil:
			fmt.Fprintln(c.stderr, "nixpass: that build ended without a result; building here")
		}
	}
	if res == nil {
		pr := cliout.NewProgress(c.stderr)
		pr.Bar = newPushBar(c.stderr, false)
		b := e.Builder(pr.Event)
		b.SkipUpToDate = skipUpToDate()
		res = b.Build(ctx, req)
		pr.Done()
	}
	if *asJSON {
		c.printJSON(res)
	} else {
		cliout.PrintResult(c.stdout, c.stderr, res)
	}
	return res.Kind.ExitCode()
}

// skipUpToDate is the request key of the project the lean front found
// out of date just before it handed this build over (app/fast sets
// NIXPASS_FRONT_STALE): the build need not ask Nix again. The variable is
// dropped so nothing this process starts inherits it.
func skipUpToDate() string {
	k := os.Getenv(cliout.StaleEnv)
	os.Unsetenv(cliout.StaleEnv)
	return k
}
