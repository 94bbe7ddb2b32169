package local

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"nixpass/builder"
	"nixpass/builder/diagnose"
	"nixpass/builder/runner"
)

func TestLocalOOMHintNeverAsksForMoreCoresThanExist(t *testing.T) {
	log := "error: builder for '/nix/store/6i53jg3gyvrnz4h2ca1qdvsi6gbxs1hj-app.drv' failed due to signal 9 (Killed)\n"
	hint := diagnose.Diagnose(log, diagnose.Evidence{Signal: 9, HostOS: "linux", Machine: (&Machine{}).DiagnoseMachine(context.Background())}).Hint
	var cores int
	if i := strings.Index(hint, "cores = "); i < 0 {
		t.Fatalf("hint %q names no cores setting", hint)
	} else if _, err := fmt.Sscanf(hint[i:], "cores = %d", &cores); err != nil {
		t.Fatalf("hint %q: %v", hint, err)
	}
	if cores < 1 || cores > runtime.NumCPU() {
		t.Errorf("hint suggests cores = %d on a machine with %d", cores, runtime.NumCPU())
	}
	if !strings.Contains(hint, builder.HumanGiB(hostMemory())) {
		t.Errorf("hint %q does not quote this machine's RAM", hint)
	}
}

// argvRunner records the argv of every command and succeeds.
type argvRunner struct{ argv [][]string }

func (a *argvRunner) Run(ctx context.Context, c runner.Cmd) (*runner.Result, error) {
	a.argv = append(a.argv, append([]string{c.Name}, c.Args...))
	return &runner.Result{}, nil
}

// TestLocalBuildSkipsTheSecondCheck: Prepare runs the script's check
// (the store round trip), so the local build verb is told not to run it
// again, and is still given its lifeline.
func TestLocalBuildSkipsTheSecondCheck(t *testing.T) {
	rec := &argvRunner{}
	l := &Machine{ScriptDir: t.TempDir(), Runner: rec}
	if _, err := l.RunScript(context.Background(), "t", []string{"build", "--token", "t", "--dir", "/p"}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if _, err := l.RunScript(context.Background(), "t", []string{"cancel", "--token", "t"}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if len(rec.argv) != 2 {
		t.Fatalf("ran %q", rec.argv)
	}
	build, cancel := rec.argv[0][2:], rec.argv[1][2:]
	if !slices.Contains(build, "--checked") || !slices.Contains(build, "--lifeline") || build[0] != "build" {
		t.Errorf("build argv %q lacks --checked or --lifeline", build)
	}
	if slices.Contains(cancel, "--checked") {
		t.Errorf("cancel argv %q got --checked", cancel)
	}
}

// TestLongFolderNames: a folder name component over the limit is
// reported as what it is (store.TestLongFolderNames: the log folder of a
// 255-byte name is bounded).
func TestLongFolderNames(t *testing.T) {
	var err error
	_, err = (&Machine{ScriptDir: t.TempDir()}).Prepare(context.Background(), filepath.Join(t.TempDir(), strings.Repeat("n", 300)), nil)
	if err == nil || !strings.Contains(err.Error(), "file name too long") {
		t.Errorf("prepare of a 300-byte component: %v", err)
	}
}
