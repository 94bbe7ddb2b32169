package builder

import (
	"slices"
	"strings"
	"testing"

	"nixpass/builder/diagnose"
)

func TestKernelOOM(t *testing.T) {
	kmsg := []string{
		"[ 100.000001] Out of memory: Killed process 1111 (old) total-vm:1kB",
		"[ 2948.780713] Memory cgroup out of memory: Killed process 2315 (busybox) total-vm:221408kB, anon-rss:149152kB",
	}
	tests := []struct {
		since float64
		comm  string
		ok    bool
	}{
		{0, "old", true},
		{2000, "busybox", true},
		{3000, "", false},
	}
	for _, tt := range tests {
		line, comm, ok := kernelOOM(kmsg, tt.since)
		if ok != tt.ok || comm != tt.comm {
			t.Errorf("since %v: got %q %q %v", tt.since, line, comm, ok)
		}
		if ok && strings.Contains(line, "total-vm") {
			t.Errorf("line keeps the memory table: %q", line)
		}
	}
}

func TestKindExitCodes(t *testing.T) {
	want := map[Kind]int{KindOK: 0, KindConfig: 1, KindEval: 2, KindBuild: 3, KindOOM: 4, KindDiskFull: 5, KindUnavailable: 6, KindTimeout: 7, KindCancelled: 130, KindNetwork: 8, KindPlatform: 9, KindDocker: 10, KindCache: 12}
	for k, code := range want {
		if got := k.ExitCode(); got != code {
			t.Errorf("%s.ExitCode() = %d, want %d", k, got, code)
		}
		if k.Title() == "" || (k != KindCancelled && k.Title() == string(k)) {
			t.Errorf("%s has no title", k)
		}
	}
}

func TestHumanSizes(t *testing.T) {
	for n, want := range map[int64]string{999: "999 B", 84_000_000: "84.0 MB", 1_032_047: "1.0 MB", 250_000_000_000: "250 GB"} {
		if got := HumanBytes(n); got != want {
			t.Errorf("HumanBytes(%d) = %q, want %q", n, got, want)
		}
	}
	if got := HumanGiB(8 << 30); got != "8 GiB" {
		t.Errorf("HumanGiB = %q", got)
	}
	if got := nextMemory(4<<30 - 100<<20); got != "8G" {
		t.Errorf("nextMemory = %q", got)
	}
}

// TestDiagnoseKinds: every kind the table can return is a builder kind
// with its own exit code and title.
func TestDiagnoseKinds(t *testing.T) {
	known := []Kind{KindOK, KindConfig, KindEval, KindBuild, KindOOM, KindDiskFull, KindUnavailable, KindNetwork, KindPlatform}
	for _, k := range diagnose.Kinds {
		if !slices.Contains(known, Kind(k)) || Kind(k).Title() == string(k) {
			t.Errorf("diagnose kind %q is not a builder kind with a title", k)
		}
	}
}
