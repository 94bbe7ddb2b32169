package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// selfCommand is how the user can run this nixpass again from the shell
// they started it in: "nixpass" only when that name on PATH is this very
// binary (after make install); otherwise the path it was started by, such
// as build/nixpass after make run, so a printed "next:" line never ends
// in "command not found".
func selfCommand() string {
	exe, err := os.Executable()
	if err != nil {
		return "nixpass"
	}
	if real, err := filepath.EvalSymlinks(exe); err == nil {
		exe = real
	}
	if filepath.Base(exe) == "nixpass-full" {
		// Started by the lean front (app/fast): the program the user ran
		// is its argv[0], a path or a name found on PATH.
		if p, err := exec.LookPath(os.Args[0]); err == nil {
			if real, err := filepath.EvalSymlinks(p); err == nil {
				if abs, err := filepath.Abs(real); err == nil {
					exe = abs
				}
			}
		}
	}
	if p, err := exec.LookPath("nixpass"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil && real == exe {
			return "nixpass"
		}
	}
	if strings.ContainsRune(os.Args[0], '/') {
		return os.Args[0]
	}
	return exe
}
