package build

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"nixpass/builder"
	"nixpass/builder/machine/local"
	"nixpass/builder/multipass"
	"nixpass/internal/pastetest"
)

var (
	hostile   = pastetest.Hostile
	pasteHint = pastetest.Paste
	commandIn = pastetest.CommandIn
)

// TestHintsAreSafeToPaste: every hint that shows a command, given a
// hostile project folder, attribute or VM name, runs exactly that command
// with exactly those arguments when pasted into sh, and nothing else.
func TestHintsAreSafeToPaste(t *testing.T) {
	dir := filepath.Join(t.TempDir(), hostile)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	r := &run{b: &Builder{Machine: &local.Machine{}}, p: builder.Project{Dir: dir, File: "default.nix", Attr: hostile, Output: "result.tar.gz"}, res: &builder.Result{}}
	timeoutCtx, cancel := context.WithTimeoutCause(context.Background(), time.Nanosecond, ErrTimeout)
	defer cancel()
	<-timeoutCtx.Done()

	r.nixLog.line("error: attribute 'x' missing")
	evalHint := r.classify(context.Background(), 1).(*builder.Error).Hint
	r.nixLog.reset()
	r.nixLog.line("error: builder for '/nix/store/aaaa-x.drv' failed with exit code 3")
	buildHint := r.classify(context.Background(), 1).(*builder.Error).Hint
	timeoutHint := r.interrupted(timeoutCtx, ErrTimeout).(*builder.Error).Hint
	_, prepErr := (&local.Machine{}).Prepare(context.Background(), filepath.Join(dir, "gone"), nil)

	execFailed := &multipass.Error{Instance: hostile, Err: multipass.ErrExecFailed}

	for _, tc := range []struct {
		name, hint, prefix, suffix string
		want                       []string
	}{
		{"eval", evalHint, "check it with: ", "", []string{"nix-instantiate", "default.nix", "-A", hostile}},
		{"build failure", buildHint, "in full: ", "", []string{"nixpass", "logs", dir}},
		{"timeout", timeoutHint, "what it was doing: ", "", []string{"nixpass", "logs", dir}},
		{"missing folder", prepErr.(*builder.Error).Hint, "remove the project with: ", "", []string{"nixpass", "remove", filepath.Join(dir, "gone")}},
		// docker's hints: TestDockerLoadErrors runs their retry command.
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
