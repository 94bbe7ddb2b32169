package build

import (
	"os/exec"
	"testing"
	"time"
)

// TestProcStart: a process started now is said to have started now, to
// the second; /proc/PID's own time would be when it was first looked at.
func TestProcStart(t *testing.T) {
	before := time.Now().Truncate(time.Second)
	cmd := exec.Command("sleep", "5")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	got := procStart(cmd.Process.Pid)
	if got.Before(before.Add(-time.Second)) || got.After(time.Now().Add(time.Second)) {
		t.Errorf("procStart of a process started at %s = %s", before.Format(time.TimeOnly), got.Format(time.TimeOnly))
	}
	if !procStart(0).IsZero() {
		t.Error("procStart of no process is not zero")
	}
}
