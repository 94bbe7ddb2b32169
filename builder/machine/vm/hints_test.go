package vm

import (
	"context"
	"slices"
	"testing"

	"nixpass/builder"
	"nixpass/builder/multipass"
	"nixpass/internal/pastetest"
)

// TestHintsAreSafeToPaste: the VM's hints that show a command, given a
// hostile VM name, run exactly that command when pasted into sh.
func TestHintsAreSafeToPaste(t *testing.T) {
	hostile := pastetest.Hostile
	vm := &Machine{Name: hostile, Spec: Spec{Disk: 40 << 30}}
	deleted := &multipass.Error{Instance: hostile, Err: multipass.ErrInstanceDeleted}
	for _, tc := range []struct {
		name, hint, prefix, suffix string
		want                       []string
	}{
		{"vm disk", vm.DiskHint(context.Background()), "collect garbage in the VM: ", " — or", []string{"multipass", "exec", hostile, "--", "nix-collect-garbage", "-d"}},
		{"vm unavailable", vm.unavailable("x", deleted).(*builder.Error).Hint, "recover it with: ", " (or", []string{"multipass", "recover", hostile}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := pastetest.CommandIn(t, tc.hint, tc.prefix, tc.suffix)
			if got := pastetest.Paste(t, cmd); !slices.Equal(got, tc.want) {
				t.Errorf("pasting %s ran %q, want %q", cmd, got, tc.want)
			}
		})
	}
}
