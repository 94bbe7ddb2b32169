package builder

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// scriptMachine is a Machine whose script prints a canned report.
type scriptMachine struct {
	stdout, stderr string
	exit           int
}

func (m *scriptMachine) Describe() string { return "the test machine" }
func (m *scriptMachine) Prepare(ctx context.Context, dir string, progress func(string)) (string, error) {
	return dir, nil
}
func (m *scriptMachine) RunScript(ctx context.Context, token string, args []string, stdout, stderr io.Writer) (int, error) {
	fmt.Fprint(stdout, m.stdout)
	fmt.Fprint(stderr, m.stderr)
	return m.exit, nil
}
func (m *scriptMachine) Status(ctx context.Context) BuilderStatus { return BuilderStatus{} }

func TestScriptOutcomes(t *testing.T) {
	drv := "/nix/store/6i53jg3gyvrnz4h2ca1qdvsi6gbxs1hj-app.drv"
	tests := []struct {
		name          string
		m             scriptMachine
		kind          Kind
		message, hint string
	}{
		{"nix missing", scriptMachine{stdout: "@nixpass error nix-missing no nix-build\n", exit: 69}, KindUnavailable, "Nix is not installed on the test machine", "nixpass vm create"},
		{"folder not mounted", scriptMachine{stdout: "@nixpass error dir-missing /Users/a\n", exit: 66}, KindUnavailable, "not reachable", "mounted"},
		{"not a file", scriptMachine{stdout: "@nixpass store-path /nix/store/x-dir\n", exit: 70}, KindBuild, "/nix/store/x-dir", "buildLayeredImage"},
		{"copy failed", scriptMachine{stdout: "@nixpass error copy-failed Permission denied\n", exit: 71}, KindBuild, "Permission denied", "writable"},
		{"disk full on copy", scriptMachine{stdout: "@nixpass error disk-full cp: No space left on device\n", exit: 72}, KindDiskFull, "No space left", "nix-collect-garbage"},
		{"script usage", scriptMachine{stderr: "nixpass-build: unknown argument: --x\n", exit: 65}, KindBuild, "unknown argument", "nixpass bug"},
		{"cancelled inside", scriptMachine{stdout: "@nixpass cancelled\n", exit: 130}, KindCancelled, "cancelled", "untouched"},
		{"signal 9, kernel OOM", scriptMachine{
			stdout: "@nixpass uptime 100.5\n@nixpass kmsg [  101.2] Out of memory: Killed process 42 (cc1plus) total-vm:1kB\n",
			stderr: "error: builder for '" + drv + "' failed due to signal 9 (Killed)\n", exit: 100}, KindOOM, "the builder for app ran out of memory: the kernel killed cc1plus", "jobs"},
		{"signal 9, stale OOM only", scriptMachine{
			stdout: "@nixpass uptime 500\n@nixpass kmsg [  101.2] Out of memory: Killed process 42 (cc1plus)\n",
			stderr: "error: builder for '" + drv + "' failed due to signal 9 (Killed)\n", exit: 100}, KindBuild, "signal 9, and the kernel log shows no OOM kill", "if memory is short"},
		{"signal 9, no kernel log", scriptMachine{
			stdout: "@nixpass uptime 500\n",
			stderr: "error: builder for '" + drv + "' failed due to signal 9 (Killed)\n", exit: 100}, KindBuild, "the kernel log could not be read", "if memory is short"},
		{"network", scriptMachine{
			stderr: "error: unable to download 'http://x.invalid/a.tar.gz': Couldn't resolve host name (6)\n", exit: 1}, KindNetwork, "could not download http://x.invalid/a.tar.gz", "network"},
		{"no build users", scriptMachine{
			stderr: "error: the group 'nixbld' specified in 'build-users-group' does not exist\n", exit: 1}, KindUnavailable, "Nix is not set up", "nix-setup-systemd"},
		{"eval, no stutter", scriptMachine{
			stderr: "error: undefined variable 'x'\n\n       at /p/default.nix:1:1:\n", exit: 1}, KindEval, "undefined variable 'x' at /p/default.nix:1:1", "fix the expression at /p/default.nix:1:1"},
		{"nix-build itself killed", scriptMachine{
			stdout: "@nixpass uptime 10\n@nixpass signal 9\n@nixpass kmsg [ 11.0] Memory cgroup out of memory: Killed process 7 (nix-build)\n", exit: 137}, KindOOM, "killed nix-build", "memory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.m
			b := &Builder{Machine: &m}
			res := b.Build(context.Background(), Project{Dir: filepath.Join(t.TempDir(), "app"), File: "default.nix", Output: "result.tar.gz"})
			if res.Kind != tt.kind || res.Status != StatusFailed {
				t.Fatalf("kind %s, want %s: %+v", res.Kind, tt.kind, res)
			}
			if !strings.Contains(res.Message, tt.message) || !strings.Contains(res.Hint, tt.hint) {
				t.Errorf("message %q / hint %q; want %q / %q", res.Message, res.Hint, tt.message, tt.hint)
			}
		})
	}
}

func TestValidateRequest(t *testing.T) {
	tests := []Project{
		{Dir: "rel", File: "default.nix", Output: "o"},
		{Dir: "/a", File: "default.nix", Output: "a/b"},
		{Dir: "/a", Output: "o"},
		{Dir: "/a", Flake: ".#i", Output: "o", Args: []string{"--arg", "a", "1"}},
		{Dir: "/a", File: "f", Output: "o", Args: []string{"--foo", "a", "1"}},
	}
	for _, p := range tests {
		res := (&Builder{Machine: &scriptMachine{}}).Build(context.Background(), p)
		if res.Kind != KindConfig || res.Kind.ExitCode() != 1 {
			t.Errorf("%+v: kind %s, want config", p, res.Kind)
		}
	}
}
