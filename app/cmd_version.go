package main

import (
	"context"
	"os"

	"nixpass/app/cliout"
)

func cmdVersion(c *cli, ctx context.Context, args []string) int {
	if _, code, ok := c.parseArgs(c.flags("version"), args, 0, 0); !ok {
		return code
	}
	cliout.PrintVersion(c.stdout)
	return 0
}

func syscallEnv() []string { return os.Environ() }

// skipUpToDate is the request key of the project the lean front found
// out of date just before it handed this build over (app/fast sets
// NIXPASS_FRONT_STALE): the build need not ask Nix again. The variable is
// dropped so nothing this process starts inherits it.
func skipUpToDate() string {
	k := os.Getenv(cliout.StaleEnv)
	os.Unsetenv(cliout.StaleEnv)
	return k
}
