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
