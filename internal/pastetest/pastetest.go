// Package pastetest checks that a command a hint shows does exactly what
// it says when a user pastes it into a shell: against stub commands, with
// hostile names. Only tests import it; it imports no nixpass package.
package pastetest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Hostile is a folder name, attribute and VM name that runs `touch`
// when pasted into a shell unquoted, and breaks on its spaces and quotes.
const Hostile = `x $(touch PWNED) "q" 'y' ` + "`touch PWNED`"

// StubTools writes stubs for the commands hints name; each appends its
// name and arguments, NUL-terminated, to the log. PATH holds nothing else,
// so any other command a pasted hint runs (touch) is not even found.
func StubTools(t *testing.T) (pathDir, logFile string) {
	t.Helper()
	pathDir = t.TempDir()
	logFile = filepath.Join(t.TempDir(), "calls")
	stub := "#!/bin/sh\n{ printf '%s\\0' \"${0##*/}\"; for a in \"$@\"; do printf '%s\\0' \"$a\"; done; printf '\\n'; } >>\"$STUB_LOG\"\n"
	for _, n := range []string{"nixpass", "multipass", "nix-instantiate", "nix", "docker"} {
		if err := os.WriteFile(filepath.Join(pathDir, n), []byte(stub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return pathDir, logFile
}

// Paste runs cmd with sh -c as a user pasting it would, against the
// stubs, and returns the one call it made.
func Paste(t *testing.T, cmd string) []string {
	t.Helper()
	pathDir, logFile := StubTools(t)
	cwd := t.TempDir()
	c := exec.Command("/bin/sh", "-c", cmd)
	c.Dir = cwd
	c.Env = []string{"PATH=" + pathDir, "STUB_LOG=" + logFile}
	out, err := c.CombinedOutput()
	if err != nil {
		t.Fatalf("sh -c %s: %v\n%s", cmd, err, out)
	}
	if _, err := os.Stat(filepath.Join(cwd, "PWNED")); err == nil {
		t.Fatalf("pasting %s ran touch", cmd)
	}
	if strings.Contains(string(out), "not found") {
		t.Fatalf("pasting %s ran something besides the stubs:\n%s", cmd, out)
	}
	b, _ := os.ReadFile(logFile)
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != 1 {
		t.Fatalf("pasting %s made %d calls, want 1: %q", cmd, len(lines), b)
	}
	return strings.Split(strings.TrimSuffix(lines[0], "\x00"), "\x00")
}

// CommandIn cuts the command out of a hint: after prefix, up to suffix
// (its last occurrence; the end when suffix is "").
func CommandIn(t *testing.T, hint, prefix, suffix string) string {
	t.Helper()
	_, rest, ok := strings.Cut(hint, prefix)
	if !ok {
		t.Fatalf("hint %q lacks %q", hint, prefix)
	}
	if suffix != "" {
		i := strings.LastIndex(rest, suffix)
		if i < 0 {
			t.Fatalf("hint %q lacks %q after the command", hint, suffix)
		}
		rest = rest[:i]
	}
	return rest
}
