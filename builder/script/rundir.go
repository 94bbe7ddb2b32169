package script

import (
	"os"
	"path/filepath"
	"strconv"
)

// RunDir is where the build script keeps its pid files on this host
// (rundir in nixpass-build.sh).
func RunDir() string {
	base := os.Getenv("XDG_RUNTIME_DIR")
	if base == "" {
		base = "/tmp"
	}
	return filepath.Join(base, "nixpass-"+strconv.Itoa(os.Getuid()))
}
