package builder

import (
	"fmt"
	"strings"
)

// binfmtCPU is the qemu name of a Nix system's CPU.
func binfmtCPU(system string) string {
	cpu, _, _ := strings.Cut(system, "-")
	return cpu
}

// noEmulation explains a build for a system this machine cannot run,
// with the remedy for the machine it ran on.
func (r *run) noEmulation(detail string) error {
	sys := r.p.System
	msg := fmt.Sprintf("%s cannot build for %s: %s", r.b.Machine.Describe(), sys, detail)
	if _, local := r.b.Machine.(*Local); local {
		return &Error{Kind: KindPlatform, Message: msg,
			Hint: fmt.Sprintf("enable qemu-user emulation with the F flag: sudo apt-get install qemu-user-static binfmt-support (Debian/Ubuntu), then check /proc/sys/fs/binfmt_misc/qemu-%s says enabled and flags with F; Nix also needs extra-platforms = %s in /etc/nix/nix.conf (restart nix-daemon) — or drop system from the project to build for this machine", binfmtCPU(sys), sys)}
	}
	return &Error{Kind: KindPlatform, Message: msg,
		Hint: "set it up with: nixpass vm setup (installs qemu-user-static in the VM and adds extra-platforms to its Nix daemon)"}
}
