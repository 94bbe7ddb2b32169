package build

import (
	"errors"
	"slices"
	"testing"

	"nixpass/builder"
	"nixpass/builder/script"
)

// keeper is a scriptMachine on which nixpass keeps free space (the VM).
type keeper struct{ scriptMachine }

func (keeper) FreeSpace() (int64, int64) { return 1 << 30, 2 << 30 }

// TestDiskFullRetryRules: which failures are retried with a collection.
func TestDiskFullRetryRules(t *testing.T) {
	full := &builder.Error{Kind: builder.KindDiskFull, Message: "the builder VM ran out of disk space"}
	withFree := []string{"build", "--min-free", "1", "--max-free", "2"}
	tests := []struct {
		name    string
		vm      bool
		code    int
		failure error
		args    []string
		retry   bool
	}{
		{"VM store or build folder full", true, 1, full, withFree, true},
		{"VM, already retried", true, 1, full, append(slices.Clone(withFree), "--collect"), false},
		{"VM, host disk full while copying the image", true, script.ExitDiskFull, full, withFree, false},
		{"VM, another failure", true, 1, &builder.Error{Kind: builder.KindBuild}, withFree, false},
		{"VM, an unclassified error", true, 1, errors.New("x"), withFree, false},
		{"VM without free-space settings", true, 1, full, []string{"build"}, false},
		{"local: never collects", false, 1, full, withFree, false},
	}
	for _, tt := range tests {
		r := &run{b: &Builder{Machine: &scriptMachine{}}}
		if tt.vm {
			r.b.Machine = &keeper{}
		}
		next, ok := r.diskFullRetry(tt.code, tt.failure, tt.args)
		if ok != tt.retry {
			t.Errorf("%s: retry %t, want %t", tt.name, ok, tt.retry)
		}
		if ok && (!slices.Contains(next, "--collect") || slices.Contains(tt.args, "--collect")) {
			t.Errorf("%s: next attempt %q, want the same arguments plus --collect (and the first left alone)", tt.name, next)
		}
	}
}
