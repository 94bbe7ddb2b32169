package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
)

// version is set by the Makefile with -ldflags "-X main.version=...".
var version = ""

// appVersion is the build's version: the linker's, else the module's.
func appVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "dev-" + s.Value[:12]
			}
		}
	}
	return "dev"
}

func cmdVersion(c *cli, ctx context.Context, args []string) int {
	if _, code, ok := c.parseArgs(c.flags("version"), args, 0, 0); !ok {
		return code
	}
	fmt.Fprintf(c.stdout, "nixpass %s (%s/%s, %s)\n", appVersion(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	return 0
}

func syscallEnv() []string { return os.Environ() }
