package tray

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/renameio/v2"

	"nixpass/builder"
	"nixpass/builder/config"
	"nixpass/builder/shq"
)

// writeShellCommand writes dir/shell-VM.command, a script Terminal runs
// when it opens the file: "Open shell" then needs no Apple Events, so no
// Automation consent and no NSAppleEventsUsageDescription. The multipass
// path and the VM name are quoted for the shell (never spliced raw); the
// file is the user's own (0700) and replaced atomically.
func writeShellCommand(dir, multipass, vm string) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("open shell: %w", err)
	}
	path := filepath.Join(dir, "shell-"+safeName(vm)+".command")
	text := "#!/bin/sh\n# Written by nixpass (Open shell): a shell in the builder VM.\nexec " + shq.Join(multipass, "shell", vm) + "\n"
	if err := renameio.WriteFile(path, []byte(text), 0o700); err != nil {
		return "", fmt.Errorf("open shell: %w", err)
	}
	// renameio applies the umask; the file must be executable for Terminal.
	if err := os.Chmod(path, 0o700); err != nil {
		return "", fmt.Errorf("open shell: %w", err)
	}
	return path, nil
}

// safeName keeps a file name to letters, digits, '-', '_' and '.'.
func safeName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			b[i] = '_'
		}
	}
	return strings.TrimLeft(string(b), ".")
}

// configStarter is what "Open config" writes when there is no config file
// yet: comments only, so it means the defaults, and the user sees what
// can be set.
const configStarter = `# nixpass configuration. Every key is optional: a missing key keeps its
# default. Uncomment what you want to change; docs/configuration.md lists every key.
#
# [builder]
# backend = "multipass"   # "multipass" (a VM) or "local" (this machine's Nix)
# timeout = "2h"          # a build is stopped after this long
#
# [vm]
# cpus = 4                # default: half the host's cores
# memory = "8G"           # default: a quarter of the host's RAM, 2G to 8G
# disk = "40G"            # can only grow later
# idle_stop = "30m"       # stop the VM after this long without builds
#
# [scheduler]
# quiet = "500ms"         # wait for this much quiet after a change
# on_quit = "cancel"      # or "finish" the running build when nixpass quits
#
# [notify]
# success = true          # false: only failures and fixes
#
# Projects are added with "Add project…" or: nixpass add DIR
`

// ensureConfig writes configStarter to path when no file is there, so
// "Open config" on a fresh install opens a file instead of failing. An
// existing file is never touched.
func ensureConfig(path string) error {
	if _, err := os.Stat(path); err == nil || !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create config folder: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create config: %w", err)
	}
	if _, err := f.WriteString(configStarter); err != nil {
		f.Close()
		return fmt.Errorf("create config: %w", err)
	}
	return f.Close()
}

// writeReport writes a "Show last error…" report to dir/name for
// platforms that show it as a file; the folder and the file are the
// user's own (0700, 0600).
func writeReport(dir, name, title, text string) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	path := filepath.Join(dir, name)
	return path, renameio.WriteFile(path, []byte(title+"\n\n"+text+"\n"), 0o600)
}

// WriteErrorReport writes the "Show last error…" report of p's failed
// build to its own file in the state folder, as the menu does, for a
// desktop that has no menu to show it; it returns the file's path.
func WriteErrorReport(p builder.ProjectStatus) (string, error) {
	dir, err := config.StateDir()
	if err != nil {
		return "", err
	}
	title, text := ErrorReport(p, time.Local)
	return writeReport(dir, reportName(p.Path), title, text)
}
