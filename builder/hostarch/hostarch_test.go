package hostarch

import (
	"errors"
	"runtime"
	"testing"
)

// TestResolve (m9): an amd64 nixpass under Rosetta names the machine
// arm64; native binaries, Intel Macs (no sysctl) and Linux keep GOARCH.
func TestResolve(t *testing.T) {
	yes := func() (bool, error) { return true, nil }
	no := func() (bool, error) { return false, nil }
	missing := func() (bool, error) { return false, errors.New("no such sysctl") }
	for _, tc := range []struct {
		goos, goarch string
		tr           func() (bool, error)
		want         string
	}{
		{"darwin", "amd64", yes, "arm64"},
		{"darwin", "amd64", no, "amd64"},
		{"darwin", "amd64", missing, "amd64"},
		{"darwin", "arm64", yes, "arm64"},
		{"linux", "amd64", yes, "amd64"},
	} {
		if got := resolve(tc.goos, tc.goarch, tc.tr); got != tc.want {
			t.Errorf("resolve(%s, %s) = %s, want %s", tc.goos, tc.goarch, got, tc.want)
		}
	}
	if runtime.GOOS != "darwin" && Arch() != runtime.GOARCH {
		t.Errorf("Arch() = %s on %s, want %s", Arch(), runtime.GOOS, runtime.GOARCH)
	}
}
