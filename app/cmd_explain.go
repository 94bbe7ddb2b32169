package main

import (
	"context"
	"fmt"
	"os"

	"nixpass/app/cliout"
	"nixpass/builder"
	"nixpass/builder/build"
	"nixpass/builder/machine"
)

// cmdExplain diagnoses a Nix log from FILE or standard input exactly as
// `build` would, and exits with the kind's exit code (0: no failure).
func cmdExplain(c *cli, ctx context.Context, args []string) int {
	fs := c.flags("explain")
	asJSON := fs.Bool("json", false, "print the diagnosis as one JSON object")
	pos, code, ok := c.parseArgs(fs, args, 0, 1)
	if !ok {
		return code
	}
	in := c.stdin
	if len(pos) == 1 && pos[0] != "-" {
		f, err := os.Open(pos[0])
		if err != nil {
			return c.usageError(fs, err.Error())
		}
		defer f.Close()
		in = f
	}
	var m machine.Machine
	if e, err := c.load(); err == nil {
		m = e.Machine
	}
	// A stream: a log of any size in constant memory.
	d, err := build.ExplainReader(ctx, m, in)
	if err != nil {
		return c.usageError(fs, "read the log: "+err.Error())
	}
	kind := d.Kind
	if *asJSON {
		c.printJSON(d)
		return kind.ExitCode()
	}
	if d.Kind == builder.KindOK {
		fmt.Fprintln(c.stdout, "✓ "+d.Message)
		return 0
	}
	cliout.PrintResult(c.stdout, c.stderr, &builder.Result{Status: builder.StatusFailed, Kind: kind, Message: d.Message, Hint: d.Hint})
	return kind.ExitCode()
}
