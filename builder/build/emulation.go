package build

import (
	"fmt"

	"nixpass/builder"
	"nixpass/builder/machine"
)

// noEmulation explains a build for a system this machine cannot run,
// with the remedy for the machine it ran on.
func (r *run) noEmulation(detail string) error {
	sys := r.p.System
	msg := fmt.Sprintf("%s cannot build for %s: %s", r.b.Machine.Describe(), sys, detail)
	if a, ok := r.b.Machine.(machine.EmulationAdvisor); ok {
		return &builder.Error{Kind: builder.KindPlatform, Message: msg, Hint: a.EmulationHint(sys)}
	}
	return &builder.Error{Kind: builder.KindPlatform, Message: msg,
		Hint: "set it up with: nixpass vm setup (installs qemu-user-static in the VM and adds extra-platforms to its Nix daemon)"}
}
