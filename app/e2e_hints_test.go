package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestHintQuotingEndToEnd: a project in a hostile folder, with a hostile
// attribute, fails evaluation; the hint's command, pasted into sh, runs
// nix-instantiate with exactly that attribute in exactly that folder and
// nothing else, and `logs` on a project never built names a safe command.
func TestHintQuotingEndToEnd(t *testing.T) {
	needNix(t)
	w := newWorld(t)
	const hostile = `x $(touch PWNED) "q" 'y'`
	dir := w.project(hostile, imageNix("e2e-hint", ""))
	if o := w.run("add", dir, "--attr", hostile); o.code != 0 {
		t.Fatal(o)
	}
	o := w.run("build", dir, "--json")
	if o.code != 2 || o.res.Kind != "eval" {
		t.Fatalf("want an eval error: %v", o)
	}
	_, cmd, ok := strings.Cut(o.res.Hint, "check it with: ")
	if !ok {
		t.Fatalf("hint shows no command: %q", o.res.Hint)
	}
	if got := paste(t, cmd); !slices.Equal(got, []string{dir, "nix-instantiate", "default.nix", "-A", hostile}) {
		t.Errorf("pasting %s ran %q", cmd, got)
	}

	other := w.project("never "+hostile, imageNix("e2e-hint-2", ""))
	o = w.run("logs", other)
	_, cmd, ok = strings.Cut(o.stderr, "yet (")
	if !ok {
		t.Fatalf("logs names no command: %v", o)
	}
	cmd = strings.TrimSuffix(strings.TrimSpace(cmd), ")")
	if got := paste(t, cmd); !slices.Equal(got[1:], []string{"nixpass", "build", other}) {
		t.Errorf("pasting %s ran %q", cmd, got)
	}
}

// paste runs cmd with sh -c against stubs of nixpass and nix-instantiate
// (PATH holds nothing else) and returns the one stub call: the folder it
// ran in, its name and its arguments.
func paste(t *testing.T, cmd string) []string {
	t.Helper()
	stubs, cwd := t.TempDir(), t.TempDir()
	log := filepath.Join(t.TempDir(), "calls")
	stub := "#!/bin/sh\n{ printf '%s\\0' \"$PWD\" \"${0##*/}\"; for a in \"$@\"; do printf '%s\\0' \"$a\"; done; printf '\\n'; } >>\"$STUB_LOG\"\n"
	for _, n := range []string{"nixpass", "nix-instantiate"} {
		os.WriteFile(filepath.Join(stubs, n), []byte(stub), 0o755)
	}
	c := exec.Command("/bin/sh", "-c", cmd)
	c.Dir, c.Env = cwd, []string{"PATH=" + stubs, "STUB_LOG=" + log}
	if out, err := c.CombinedOutput(); err != nil || len(out) > 0 {
		t.Fatalf("sh -c %s: %v\n%s", cmd, err, out)
	}
	b, _ := os.ReadFile(log)
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != 1 {
		t.Fatalf("pasting %s made %d calls: %q", cmd, len(lines), b)
	}
	return strings.Split(strings.TrimSuffix(lines[0], "\x00"), "\x00")
}
