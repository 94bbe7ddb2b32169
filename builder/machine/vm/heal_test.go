package vm

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A new VM's managed nix.conf holds [vm] min_free and max_free as Nix's
// min-free and max-free, even without remote builders; the real Nix reads
// them from it (nix.conf syntax: NAME = BYTES).
func TestVMCreateWritesFreeSpace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test installs files owned by root through the fake VM: run it as root (CI does)")
	}
	sudoShim(t)
	w := newVMWorld(t, nil)
	w.vm.GuestNixDir = t.TempDir()
	os.WriteFile(filepath.Join(w.vm.GuestNixDir, "nix.conf"), []byte("!include nixpass.conf\n"), 0o644)
	w.vm.MinFree, w.vm.MaxFree = 3<<30, 6<<30
	if err := w.vm.Create(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	conf := string(readBytes(t, filepath.Join(w.vm.GuestNixDir, "nixpass.conf")))
	for _, want := range []string{"\nmin-free = 3221225472\n", "\nmax-free = 6442450944\n"} {
		if !strings.Contains(conf, want) {
			t.Errorf("managed nix.conf lacks %q:\n%s", strings.TrimSpace(want), conf)
		}
	}
}

func TestFreeSpaceConf(t *testing.T) {
	for _, tt := range []struct {
		min, max int64
		want     string
	}{
		{0, 0, ""},
		{1 << 30, 2 << 30, "min-free = 1073741824\nmax-free = 2147483648\n"},
		// max_free below min_free is refused by the config; here it
		// never makes Nix stop collecting before min-free.
		{2 << 30, 1 << 30, "min-free = 2147483648\nmax-free = 2147483648\n"},
	} {
		v := &Machine{MinFree: tt.min, MaxFree: tt.max}
		if got := v.freeSpaceConf(); got != tt.want {
			t.Errorf("min %d max %d: got %q, want %q", tt.min, tt.max, got, tt.want)
		}
	}
}
