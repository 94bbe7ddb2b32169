package builder

import (
	"fmt"
	"regexp"
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

// rePlatformRefused finds Nix refusing a derivation for a system it is
// not configured to build: Nix 2.8's "a 'S' with features {} is required
// to build '…', but I am a 'T' …" and the newer "Required system: 'S'".
var rePlatformRefused = regexp.MustCompile(`(?:a '([^'\s]+)' with features \{[^}]*\} is required to build|Required system: '([^'\s]+)')`)

// platformRefused returns the system Nix refused to build for, if it did.
func platformRefused(nixLog string) (string, bool) {
	m := rePlatformRefused.FindStringSubmatch(nixLog)
	if m == nil {
		return "", false
	}
	return m[1] + m[2], true
}

// refusedPlatform explains a build Nix would not run for system: the
// emulator may be there, but the Nix daemon does not list the system in
// extra-platforms, and it ignores that setting from an untrusted user.
func (r *run) refusedPlatform(system string) error {
	msg := fmt.Sprintf("Nix on %s will not build for %s: its daemon does not list %s in extra-platforms (the setting nixpass passes is ignored from a user the daemon does not trust)", r.b.Machine.Describe(), system, system)
	if _, local := r.b.Machine.(*Local); local {
		return &Error{Kind: KindPlatform, Message: msg,
			Hint: fmt.Sprintf("add extra-platforms = %s to /etc/nix/nix.conf and restart the daemon (sudo systemctl restart nix-daemon); emulation itself needs: sudo apt-get install qemu-user-static binfmt-support", system)}
	}
	return &Error{Kind: KindPlatform, Message: msg, Hint: "set the VM up for it: nixpass vm setup"}
}
