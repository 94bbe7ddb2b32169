package main

import (
	"os"

	"nixpass/builder/tools"
)

// completePATH gives this process, and so every command it starts, the
// folders macOS installers use: an app started from Finder, the Dock or
// launchd has only /usr/bin:/bin:/usr/sbin:/sbin, so multipass (in
// /usr/local/bin) and docker's own helpers (docker-credential-desktop,
// next to docker) would not be found.
func completePATH() { _ = os.Setenv("PATH", tools.Default().PATH()) }
