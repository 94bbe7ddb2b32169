package runner

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRunCapturesAndStreams(t *testing.T) {
	var live bytes.Buffer
	res, err := Exec{}.Run(context.Background(), Cmd{Name: "sh", Args: []string{"-c", `printf 'out %s' "$1"; echo err >&2`, "sh", "a b"}, Stdout: &live})
	if err != nil {
		t.Fatal(err)
	}
	if string(res.Stdout) != "out a b" || live.String() != "out a b" || strings.TrimSpace(string(res.Stderr)) != "err" || res.ExitCode != 0 {
		t.Errorf("got %+v, live %q", res, live.String())
	}
}

func TestRunExitError(t *testing.T) {
	_, err := Exec{}.Run(context.Background(), Cmd{Name: "sh", Args: []string{"-c", "echo boom >&2; exit 3"}})
	var xe *ExitError
	if !errors.As(err, &xe) || xe.Code != 3 || xe.Stderr != "boom" || !strings.Contains(err.Error(), "sh -c") {
		t.Fatalf("err = %v", err)
	}
	_, err = Exec{}.Run(context.Background(), Cmd{Name: "no-such-program-nixpass"})
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("missing program: %v", err)
	}
}

func TestCancelReachesGrandchildren(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for {
			if _, err := os.Stat(pidFile); err == nil {
				cancel()
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	// The grandchild sleep would outlive a plain kill of sh.
	_, err := Exec{}.Run(ctx, Cmd{Name: "sh", Args: []string{"-c", `sleep 300 & echo $! > "$1"; wait`, "sh", pidFile}, Grace: time.Second})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	pid, _ := os.ReadFile(pidFile)
	// A killed orphan may linger as a zombie until init reaps it, and a
	// loaded machine may take a moment: alive means any state but Z after
	// five seconds.
	stat := "/proc/" + strings.TrimSpace(string(pid)) + "/stat"
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		b, err := os.ReadFile(stat)
		if err != nil || strings.Contains(string(b), ") Z ") {
			return
		}
	}
	t.Error("the grandchild survived cancellation")
}
