package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// bench/soak.sh passes on a healthy app (20 builds) and fails on a
// planted leak: a child of the app that stays, same PID, 5 s apart.
func TestSoakScriptSeesLeaksOnly(t *testing.T) {
	needNix(t)
	need(t, "bash", "apt-get install bash")
	soak, err := filepath.Abs(filepath.Join("..", "bench", "soak.sh"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		builds string
		env    []string
		ok     bool
		want   string
	}{
		{"healthy app", "20", nil, true, "20 builds in"},
		{"planted leak", "3", []string{"SOAK_PLANT_LEAK=1"}, false, "FAIL: child processes leaked (same PID 5 s apart)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command("bash", soak, tt.builds)
			cmd.Env = append(cmd.Environ(), tt.env...)
			out, err := cmd.CombinedOutput()
			if (err == nil) != tt.ok || !strings.Contains(string(out), tt.want) {
				t.Errorf("soak %s builds: err %v, want ok=%v and %q in:\n%s", tt.builds, err, tt.ok, tt.want, out)
			}
			if tt.ok {
				t.Logf("%s", out)
			}
		})
	}
}
