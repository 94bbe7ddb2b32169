package builder

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"nixpass/builder/multipass"
)

// hostile is a folder name, attribute and VM name that runs `touch`
// when pasted into a shell unquoted, and breaks on its spaces and quotes.
const hostile = `x $(touch PWNED) "q" 'y' ` + "`touch PWNED`"

// stubTools writes stubs for the commands hints name; each appends its
// name and arguments, NUL-terminated, to the log. PATH holds nothing else,
// so any other command a pasted hint runs (touch) is not even found.
func stubTools(t *testing.T) (pathDir, logFile string) {
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

// pasteHint runs cmd with sh -c as a user pasting it would, against the
// stubs, and returns the one call it made.
func pasteHint(t *testing.T, cmd string) []string {
	t.Helper()
	pathDir, logFile := stubTools(t)
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

// commandIn cuts the command out of a hint: after prefix, up to suffix
// (its last occurrence; the end when suffix is "").
func commandIn(t *testing.T, hint, prefix, suffix string) string {
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

// TestHintsAreSafeToPaste: every hint that shows a command, given a
// hostile project folder, attribute or VM name, runs exactly that command
// with exactly those arguments when pasted into sh, and nothing else.
func TestHintsAreSafeToPaste(t *testing.T) {
	dir := filepath.Join(t.TempDir(), hostile)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	r := &run{b: &Builder{Machine: &Local{}}, p: Project{Dir: dir, File: "default.nix", Attr: hostile, Output: "result.tar.gz"}, res: &Result{}}
	vm := &VM{Name: hostile, Spec: VMSpec{Disk: 40 << 30}}
	timeoutCtx, cancel := context.WithTimeoutCause(context.Background(), time.Nanosecond, ErrTimeout)
	defer cancel()
	<-timeoutCtx.Done()

	r.nixLog.WriteString("error: attribute 'x' missing\n")
	evalHint := r.classify(context.Background(), 1).(*Error).Hint
	r.nixLog.Reset()
	r.nixLog.WriteString("error: builder for '/nix/store/aaaa-x.drv' failed with exit code 3\n")
	buildHint := r.classify(context.Background(), 1).(*Error).Hint
	timeoutHint := r.interrupted(timeoutCtx, ErrTimeout).(*Error).Hint
	_, prepErr := (&Local{}).Prepare(context.Background(), filepath.Join(dir, "gone"), nil)
	deleted := &multipass.Error{Instance: hostile, Err: multipass.ErrInstanceDeleted}
	execFailed := &multipass.Error{Instance: hostile, Err: multipass.ErrExecFailed}
	killed := (&Store{StateDir: t.TempDir()}).recordKilled(runningMarker{Token: "t", Project: dir, Started: time.Now()})

	for _, tc := range []struct {
		name, hint, prefix, suffix string
		want                       []string
	}{
		{"eval", evalHint, "check it with: ", "", []string{"nix-instantiate", "default.nix", "-A", hostile}},
		{"build failure", buildHint, "in full: ", "", []string{"nixpass", "logs", dir}},
		{"timeout", timeoutHint, "what it was doing: ", "", []string{"nixpass", "logs", dir}},
		{"missing folder", prepErr.(*Error).Hint, "remove the project with: ", "", []string{"nixpass", "remove", filepath.Join(dir, "gone")}},
		// docker's hints: TestDockerLoadErrors runs their retry command.
		{"killed build", killed.Hint, "build again with: ", "", []string{"nixpass", "build", dir}},
		{"vm disk", vm.DiskHint(context.Background()), "collect garbage in the VM: ", " — or", []string{"multipass", "exec", hostile, "--", "nix-collect-garbage", "-d"}},
		{"vm unavailable", vm.unavailable("x", deleted).(*Error).Hint, "recover it with: ", " (or", []string{"multipass", "recover", hostile}},
		{"vm ssh", multipass.Hint(execFailed), "restart it if needed: ", "", []string{"multipass", "restart", hostile}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := commandIn(t, tc.hint, tc.prefix, tc.suffix)
			if got := pasteHint(t, cmd); !slices.Equal(got, tc.want) {
				t.Errorf("pasting %s ran %q, want %q", cmd, got, tc.want)
			}
		})
	}
}
