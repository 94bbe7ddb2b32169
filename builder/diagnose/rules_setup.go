package diagnose

import (
	"fmt"
	"strings"

	"nixpass/builder"
	"nixpass/builder/lazyre"
)

// noSpaceTexts are a full disk in the failure's own words: ENOSPC,
// EDQUOT (glibc's strerror texts) and SQLite's SQLITE_FULL. Plain texts,
// not one regexp: an alternation without a common prefix is tried at
// every byte of every line, and a 50 MiB log's 2 MiB tail is read for it.
var noSpaceTexts = []string{"No space left on device", "Disk quota exceeded", "database or disk is full"}

// saysNoSpace reports whether line holds one of noSpaceTexts.
func saysNoSpace(line string) bool {
	for _, t := range noSpaceTexts {
		if strings.Contains(line, t) {
			return true
		}
	}
	return false
}

// diskNote is what Nix adds under a failed build when the store's or the
// build folder's disk is nearly full after it (2.8 to 2.34: the same text).
const diskNote = "note: build failure may have been caused by lack of free disk space"

// diskFullRule says a disk was full when the failure itself says so, or
// when Nix's own note follows the failure. Real texts, one folder per
// version (testdata/*/): disk-full.txt (a store on a 24 MiB tmpfs: dd's
// "No space left on device", 2.8/2.26 "error: writing to file", 2.34 the
// note), disk-full-builddir.txt (the build folder full: dd's error and the
// note), disk-full-note.txt (a builder that says nothing: the note alone
// follows "failed with exit code 1"), disk-full-sqlite.txt (Nix's
// database: "committing transaction: database or disk is full", under an
// evaluation trace in 2.26 and 2.34), and the same while substituting
// (builder/testdata/nix/2.18-disk-full-store.txt). Nix's own garbage
// collection notes ("note: currently hard linking saves", gc-note.txt) say
// nothing about a full disk and are not matched. EDQUOT could not be
// captured (no quota support in CI's kernel): its text is glibc's.
var diskFullRule = Rule{
	Name: "disk-full", Kind: builder.KindDiskFull,
	Action: say("Free disk space on the builder"),
	Match: func(l *nixLog, _ *Evidence) (Match, bool) {
		if i := l.findLineWhere(saysNoSpace); i >= 0 {
			return Match{What: strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l.lines[i]), "error:"))}, true
		}
		if len(l.errs) == 0 {
			return Match{}, false
		}
		for i := l.errs[0] + 1; i < len(l.lines); i++ {
			if strings.TrimSpace(l.lines[i]) == diskNote {
				return Match{What: errorLine(l, i) + " (Nix: " + strings.TrimPrefix(diskNote, "note: ") + ")"}, true
			}
		}
		return Match{}, false
	},
	Message: func(m Match, ev *Evidence) string {
		return ev.where() + " ran out of disk space: " + m.What
	},
	Hint: func(_ Match, ev *Evidence, h *hint) string {
		if ev.vm() {
			return fmt.Sprintf("collect garbage in the VM: %s — or grow its disk: %s (disks can only grow); the last good image is untouched",
				h.cmd("nixpass", "vm", "gc"),
				h.cmd("nixpass", "vm", "resize", "--disk", NextDisk(ev.Machine.Disk)))
		}
		free := ""
		if ev.Machine.StoreFree > 0 {
			free = builder.HumanBytes(ev.Machine.StoreFree) + " is free on the Nix store's disk now; "
		}
		return free + "nixpass never collects this machine's store itself: free space with " + h.cmd("nix-collect-garbage", "-d") +
			" (your projects' last images are roots and stay), or on the disk that holds the project folder; the last good image is untouched"
	},
}

// errorLine is the last error line before line i, without "error:".
func errorLine(l *nixLog, i int) string {
	for j := i - 1; j >= 0; j-- {
		if t := strings.TrimSpace(l.lines[j]); strings.HasPrefix(t, "error:") {
			return strings.TrimSpace(strings.TrimPrefix(t, "error:"))
		}
		if t := strings.TrimSpace(l.lines[j]); strings.HasPrefix(t, "Reason:") {
			// 2.34: "error: Cannot build 'X'." then "Reason: builder failed …".
			for k := j - 1; k >= 0; k-- {
				if u := strings.TrimSpace(l.lines[k]); strings.HasPrefix(u, "error:") {
					return strings.TrimSpace(strings.TrimPrefix(u, "error:")) + " " + t
				}
			}
		}
	}
	return "the build failed"
}

var reBuildUsers = lazyre.New(`the group '([^']+)' specified in 'build-users-group' does not exist`)

// buildUsersRule covers a Nix without its build users, what Debian's
// nix-bin is without nix-setup-systemd: "error: the group 'nixbld'
// specified in 'build-users-group' does not exist" (2.8, 2.26, 2.34: the
// same text; testdata/*/setup-nixbld-missing.txt).
var buildUsersRule = Rule{
	Name: "setup-build-users", Kind: builder.KindUnavailable,
	Action: say("Set up Nix's build users"),
	Match: func(l *nixLog, _ *Evidence) (Match, bool) {
		m, _ := l.find(reBuildUsers)
		if m == nil {
			return Match{}, false
		}
		return Match{Subject: m[1]}, true
	},
	Message: func(m Match, ev *Evidence) string {
		return fmt.Sprintf("Nix is not set up on %s: the group %q named by build-users-group does not exist, so Nix has no build users", ev.where(), m.Subject)
	},
	Hint: func(m Match, ev *Evidence, h *hint) string {
		if ev.vm() {
			return ev.recreateVM(h)
		}
		return fmt.Sprintf("create the build users: Debian/Ubuntu's nix-bin gets them from %s; with the official installer run it again in multi-user mode (https://nixos.org/download)",
			h.cmd("sudo", "apt-get", "install", "nix-setup-systemd"))
	},
}

var (
	reSocket = lazyre.New(`cannot connect to socket at '([^']+)': (.+)$`)
	// 2.8 as a user outside nix-users, without NIX_REMOTE: the socket's
	// folder is root:nix-users 0770.
	reSocketStat = lazyre.New(`getting status of '?(/nix/var/nix/daemon-socket/socket)'?: (Permission denied)`)
)

// daemonSocketRule covers a nix-daemon that cannot be reached: "error:
// cannot connect to socket at '/nix/var/nix/daemon-socket/socket': No
// such file or directory" (no daemon), "…: Connection refused" (a dead
// daemon's socket), "…: Permission denied" (the user is not in
// nix-users). Same text in 2.8, 2.26 and 2.34; the newer ones print it as
// the innermost error of an evaluation trace (testdata/*/setup-socket-*.txt).
// Debian 12's Nix 2.8 run by a user outside nix-users without NIX_REMOTE
// says "error: getting status of /nix/var/nix/daemon-socket/socket:
// Permission denied" (testdata/2.8/setup-socket-denied-auto.txt).
var daemonSocketRule = Rule{
	Name: "setup-daemon-socket", Kind: builder.KindUnavailable,
	Action: say("Start the Nix daemon or let this user reach it"),
	Match: func(l *nixLog, _ *Evidence) (Match, bool) {
		m, _ := l.find(reSocket)
		if m == nil {
			m, _ = l.find(reSocketStat)
		}
		if m == nil {
			return Match{}, false
		}
		return Match{Subject: m[1], Reason: m[2]}, true
	},
	Message: func(m Match, ev *Evidence) string {
		switch {
		case strings.Contains(m.Reason, "Permission denied"):
			return fmt.Sprintf("Nix is not set up for this user on %s: the nix-daemon's socket %s denies access (Permission denied)", ev.where(), m.Subject)
		case strings.Contains(m.Reason, "Connection refused"):
			return fmt.Sprintf("the nix-daemon is not running on %s: nothing listens on its socket %s (Connection refused)", ev.where(), m.Subject)
		}
		return fmt.Sprintf("the nix-daemon is not running on %s: its socket %s is missing (%s)", ev.where(), m.Subject, m.Reason)
	},
	Hint: func(m Match, ev *Evidence, h *hint) string {
		if ev.vm() {
			return "start it: " + h.cmd("multipass", "exec", ev.Machine.VM, "--", "sudo", "systemctl", "start", "nix-daemon") + " — or " + ev.recreateVM(h)
		}
		if strings.Contains(m.Reason, "Permission denied") {
			usermod := "sudo usermod -aG nix-users $USER"
			if ev.User != "" {
				usermod = h.cmd("sudo", "usermod", "-aG", "nix-users", ev.User)
			}
			return "join the group that may use the daemon, then log out and in again: " + usermod + " (Debian/Ubuntu's nix-setup-systemd; the official installer lets every user in)"
		}
		return fmt.Sprintf("start the daemon: %s; Debian/Ubuntu's nix-bin needs %s for it",
			h.cmd("sudo", "systemctl", "start", "nix-daemon"), h.cmd("sudo", "apt-get", "install", "nix-setup-systemd"))
	},
}

var reStorePerm = lazyre.New(`['"](/nix/(?:var/nix|store)[^'"]*)['"].*: (Permission denied|Operation not permitted|Read-only file system)`)

// storePermissionRule covers a store this user may not write, what a
// non-root user sees without the daemon: 2.8 "error: could not set
// permissions on '/nix/var/nix/profiles/per-user' to 755: Operation not
// permitted", 2.26 "error: opening lock file '/nix/var/nix/db/big-lock':
// Permission denied", 2.34 the same with double quotes under "This
// command may have been run as non-root in a single-user Nix
// installation" (testdata/*/setup-store-readonly.txt).
var storePermissionRule = Rule{
	Name: "setup-store-permission", Kind: builder.KindUnavailable,
	Action: say("Let this user write to the Nix store"),
	Match: func(l *nixLog, _ *Evidence) (Match, bool) {
		m, _ := l.find(reStorePerm)
		if m == nil {
			return Match{}, false
		}
		return Match{Subject: m[1], Reason: m[2]}, true
	},
	Message: func(m Match, ev *Evidence) string {
		return fmt.Sprintf("Nix is not set up for this user on %s: the Nix store is not writable (%s: %s) and the nix-daemon is not used", ev.where(), m.Subject, m.Reason)
	},
	Hint: func(m Match, ev *Evidence, h *hint) string {
		if ev.vm() {
			return ev.recreateVM(h)
		}
		return fmt.Sprintf("build through the nix-daemon: install it with %s (Debian/Ubuntu), join its group with sudo usermod -aG nix-users %s and log in again, and set NIX_REMOTE=daemon if your nix.conf does not",
			h.cmd("sudo", "apt-get", "install", "nix-setup-systemd"), ev.user())
	},
}

// NextDisk suggests 20 GiB more disk, in Multipass size syntax.
func NextDisk(disk int64) string {
	if disk <= 0 {
		return "60G"
	}
	return fmt.Sprintf("%dG", RoundGiB(disk)>>30+20)
}
