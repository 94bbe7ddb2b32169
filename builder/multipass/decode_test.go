package multipass

import (
	"os"
	"testing"
)

func TestDecodeInfo(t *testing.T) {
	tests := []struct {
		file                string
		state               State
		cpus                int
		memTotal, diskTotal int64
		diskUsed            int64
		mounts              int
		release             string
	}{
		{"testdata/info-running.json", StateRunning, 4, 8326619136, 42140499968, 3221225472, 1, "Ubuntu 24.04.1 LTS"},
		{"testdata/info-stopped.json", StateStopped, 4, 0, 0, 0, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := os.ReadFile(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeInfo(b, "builder")
			if err != nil {
				t.Fatal(err)
			}
			if got.State != tt.state || got.CPUs != tt.cpus || got.Memory.Total != tt.memTotal ||
				got.DiskTotal() != tt.diskTotal || got.DiskUsed() != tt.diskUsed || len(got.Mounts) != tt.mounts || got.Release != tt.release {
				t.Errorf("got %+v", got)
			}
		})
	}
	b, _ := os.ReadFile("testdata/info-running.json")
	inst, _ := decodeInfo(b, "builder")
	for dir, want := range map[string]string{
		"/Users/ana/src/app":         "/Users/ana/src/app",
		"/Users/ana/src/app/sub/dir": "/Users/ana/src/app/sub/dir",
		"/Users/ana/src/apple":       "",
	} {
		got, ok := inst.MountFor(dir)
		if got != want || ok != (want != "") {
			t.Errorf("MountFor(%q) = %q, %v; want %q", dir, got, ok, want)
		}
	}
}

func TestHints(t *testing.T) {
	for _, err := range []error{ErrNotInstalled, ErrDaemonUnavailable, ErrSocketDenied, ErrInstanceMissing, ErrAlreadyExists, ErrMustBeStopped, ErrInvalidSize, ErrExecFailed, ErrUsage} {
		if Hint(&Error{Op: "x", Err: err}) == "" {
			t.Errorf("no hint for %v", err)
		}
	}
}
