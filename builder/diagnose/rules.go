package diagnose

import (
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strings"
)

// Match is what a rule found in the log, for its message and hint.
type Match struct {
	// Drv is the failing derivation's store path.
	Drv string
	// Position is FILE:LINE:COL of an evaluation error.
	Position string
	// What is Nix's own error text.
	What string
	// Tail is the last lines of the failing builder's log.
	Tail []string
	// Signal is the signal that killed the builder or nix.
	Signal int
	// Subject is what the rule is about: a URL, a path, a socket, a
	// group, a system or feature name.
	Subject string
	// Reason is the system's reason (e.g. "Connection refused").
	Reason string
	// Need and Have are what the derivation needs and the builder offers
	// (platform), or the specified and got hashes (hash mismatch).
	Need, Have string
	// Repo is the git repository of an untracked file.
	Repo string
	// Input is the flake input a download was for.
	Input string
	// Missing is a file the expression reads that does not exist.
	Missing string
}

// Rule is one entry of the failure table.
type Rule struct {
	// Name identifies the rule in tests.
	Name string
	// Kind is the rule's verdict, unless KindOf says otherwise.
	Kind Kind
	// Match reports whether the rule applies to the log and evidence.
	Match func(l *nixLog, ev *Evidence) (Match, bool)
	// KindOf, when set, decides the kind from the match and evidence.
	KindOf func(m Match, ev *Evidence) Kind
	// Message says what happened.
	Message func(m Match, ev *Evidence) string
	// Hint says what to do; commands go through h so they are quoted.
	Hint func(m Match, ev *Evidence, h *hint) string
}

// Rules is the failure table, tried in order; the first match wins. The
// order matters: a remote builder that could not be used ends in Nix's
// misleading "remote machines may not have all required system features",
// and set-up and network problems also end in "builder failed" or an
// evaluation error, so they come before those.
var Rules = []Rule{
	pushRule,
	remoteBuilderRule,
	diskFullRule,
	buildUsersRule,
	daemonSocketRule,
	storePermissionRule,
	platformRule,
	networkRule,
	hashMismatchRule,
	untrackedRule,
	noNixFileRule,
	missingFileRule,
	builderFailedRule,
	nixKilledRule,
	buildOtherRule,
	evalRule,
}

var reNoSpace = regexp.MustCompile(`No space left on device`)

// diskFullRule covers "No space left on device" anywhere in the log: Nix
// 2.8 and 2.26 "error: writing to file: No space left on device" while
// building or copying, the builder's own "dd: error writing '…': No space
// left on device" before 2.34's "Reason: builder failed with exit code 1
// … note: build failure may have been caused by lack of free disk space"
// (testdata/*/disk-full.txt, a store on a 24 MiB tmpfs), and the same
// text while substituting (builder/testdata/nix/2.18-disk-full-store.txt).
var diskFullRule = Rule{
	Name: "disk-full", Kind: KindDiskFull,
	Match: func(l *nixLog, _ *Evidence) (Match, bool) {
		m, i := l.findLine(reNoSpace)
		if m == nil {
			return Match{}, false
		}
		return Match{What: strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l.lines[i]), "error:"))}, true
	},
	Message: func(m Match, ev *Evidence) string {
		return ev.where() + " ran out of disk space: " + m.What
	},
	Hint: func(_ Match, ev *Evidence, h *hint) string {
		if ev.vm() {
			return fmt.Sprintf("collect garbage in the VM: %s — or grow its disk: %s (disks can only grow); the last good image is untouched",
				h.cmd("multipass", "exec", ev.Machine.VM, "--", "nix-collect-garbage", "-d"),
				h.cmd("nixpass", "vm", "resize", "--disk", NextDisk(ev.Machine.Disk)))
		}
		return "free space with " + h.cmd("nix-collect-garbage", "-d") + ", or on the disk that holds the project folder; the last good image is untouched"
	},
}

var reBuildUsers = regexp.MustCompile(`the group '([^']+)' specified in 'build-users-group' does not exist`)

// buildUsersRule covers a Nix without its build users, what Debian's
// nix-bin is without nix-setup-systemd: "error: the group 'nixbld'
// specified in 'build-users-group' does not exist" (2.8, 2.26, 2.34: the
// same text; testdata/*/setup-nixbld-missing.txt).
var buildUsersRule = Rule{
	Name: "setup-build-users", Kind: KindUnavailable,
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
	reSocket = regexp.MustCompile(`cannot connect to socket at '([^']+)': (.+)$`)
	// 2.8 as a user outside nix-users, without NIX_REMOTE: the socket's
	// folder is root:nix-users 0770.
	reSocketStat = regexp.MustCompile(`getting status of '?(/nix/var/nix/daemon-socket/socket)'?: (Permission denied)`)
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
	Name: "setup-daemon-socket", Kind: KindUnavailable,
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

var reStorePerm = regexp.MustCompile(`['"](/nix/(?:var/nix|store)[^'"]*)['"].*: (Permission denied|Operation not permitted|Read-only file system)`)

// storePermissionRule covers a store this user may not write, what a
// non-root user sees without the daemon: 2.8 "error: could not set
// permissions on '/nix/var/nix/profiles/per-user' to 755: Operation not
// permitted", 2.26 "error: opening lock file '/nix/var/nix/db/big-lock':
// Permission denied", 2.34 the same with double quotes under "This
// command may have been run as non-root in a single-user Nix
// installation" (testdata/*/setup-store-readonly.txt).
var storePermissionRule = Rule{
	Name: "setup-store-permission", Kind: KindUnavailable,
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

var (
	// Nix 2.8–2.33: "a 'aarch64-linux' with features {} is required to
	// build '/nix/store/…drv', but I am a 'x86_64-linux' with features {…}".
	rePlatformOld = regexp.MustCompile(`a '([^']+)' with features \{([^}]*)\} is required to build '([^']+)', but I am a '([^']+)' with features \{([^}]*)\}`)
	reCannotBuild = regexp.MustCompile(`Cannot build '([^']+)'\.`)
	// 2.34 says "platform mismatch"; some releases between say "required
	// system or feature not available" before the same two lines.
	reReqSystem   = regexp.MustCompile(`Reason: (?:platform mismatch|required system or feature not available).*Required system: '([^']+)'.*Current system: '([^']+)'`)
	reReqFeatures = regexp.MustCompile(`Reason: missing system features.*Required features: \{([^}]*)\}.*Available features: \{([^}]*)\}`)
)

// platformRule covers a derivation for another system or needing a
// system feature the builder lacks: 2.8 and 2.26 "error: a 'aarch64-linux'
// with features {} is required to build '…', but I am a 'x86_64-linux'
// with features {benchmark, big-parallel, kvm, nixos-test}" (and
// "features {kvm} … but I am a 'x86_64-linux' with features {benchmark,
// big-parallel}"); 2.34 "error: Cannot build '…'. Reason: platform
// mismatch / Required system: 'aarch64-linux' / Current system:
// 'x86_64-linux'" and "Reason: missing system features / Required
// features: {kvm} / Available features: {…}" (testdata/*/platform-*.txt).
// Subject is "" for a system mismatch, else the missing features. When
// the project itself asked for that system (its system setting), Nix has
// refused to emulate it: the daemon does not list it in extra-platforms,
// and ignores that setting from a user it does not trust.
var platformRule = Rule{
	Name: "platform", Kind: KindPlatform,
	Match: func(l *nixLog, _ *Evidence) (Match, bool) {
		if m, _ := l.find(rePlatformOld); m != nil {
			if m[1] != m[4] {
				return Match{Drv: m[3], Need: m[1], Have: m[4]}, true
			}
			return Match{Drv: m[3], Subject: missing(m[2], m[5]), Need: m[2], Have: m[5]}, true
		}
		m, i := l.find(reCannotBuild)
		if m == nil {
			return Match{}, false
		}
		text := errorText(l.lines, i)
		if s := reReqSystem.FindStringSubmatch(text); s != nil {
			return Match{Drv: m[1], Need: s[1], Have: s[2]}, true
		}
		if f := reReqFeatures.FindStringSubmatch(text); f != nil {
			return Match{Drv: m[1], Subject: missing(f[1], f[2]), Need: f[1], Have: f[2]}, true
		}
		return Match{}, false
	},
	Message: func(m Match, ev *Evidence) string {
		if m.Subject == "" && m.Need == ev.Project.System {
			return fmt.Sprintf("Nix on %s will not build for %s: its daemon does not list %s in extra-platforms (the setting nixpass passes is ignored from a user the daemon does not trust)",
				ev.where(), m.Need, m.Need)
		}
		if m.Subject == "" {
			return fmt.Sprintf("%s is for %s, but %s builds for %s", drvName(m.Drv), m.Need, ev.where(), m.Have)
		}
		have := m.Have
		if strings.TrimSpace(have) == "" {
			have = "none"
		}
		return fmt.Sprintf("%s needs the system feature %s, which %s does not offer (it has: %s)", drvName(m.Drv), m.Subject, ev.where(), have)
	},
	Hint: func(m Match, ev *Evidence, h *hint) string {
		if m.Subject == "" && m.Need == ev.Project.System {
			if ev.vm() {
				return "set the VM up for it: " + h.cmd("nixpass", "vm", "setup")
			}
			return fmt.Sprintf("add extra-platforms = %s to /etc/nix/nix.conf and restart the daemon (sudo systemctl restart nix-daemon); emulation itself needs: sudo apt-get install qemu-user-static binfmt-support", m.Need)
		}
		if m.Subject == "" {
			dir := ev.Project.Dir
			if dir == "" {
				dir = "DIR"
			}
			return fmt.Sprintf("build for %s, or set the project's system so nixpass builds %s under emulation (slow): %s (the key system in the project's [[project]] entry)",
				m.Have, m.Need, h.cmd("nixpass", "add", dir, "--system", m.Need))
		}
		if strings.Contains(" "+strings.ReplaceAll(m.Subject, ",", " ")+" ", " kvm ") {
			s := "dockerTools.buildImage's runAsRoot needs KVM, which a Multipass VM on a Mac does not have: use fakeRootCommands with enableFakechroot = true (buildLayeredImage/streamLayeredImage) instead"
			if !ev.vm() && ev.HostOS == "linux" {
				s += "; or, on a Linux machine with /dev/kvm, add kvm to system-features in /etc/nix/nix.conf"
			}
			return s
		}
		return "add " + m.Subject + " to system-features in nix.conf if " + ev.where() + " really has it, or drop requiredSystemFeatures from the derivation"
	},
}

// missing is the comma-separated features of need not in have.
func missing(need, have string) string {
	hs := map[string]bool{}
	for _, f := range strings.Split(have, ",") {
		hs[strings.TrimSpace(f)] = true
	}
	var out []string
	for _, f := range strings.Split(need, ",") {
		if f = strings.TrimSpace(f); f != "" && !hs[f] {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return strings.TrimSpace(need)
	}
	return strings.Join(out, ", ")
}

var (
	reDownload   = regexp.MustCompile(`unable to download '([^']+)': (.+?)(?:; retrying in .*)?$`)
	reFlakeInput = regexp.MustCompile(`while updating the flake input '([^']+)'`)
	reGitFetch   = regexp.MustCompile(`fatal: unable to access '([^']+)': (.+)$`)
	reBuilder    = regexp.MustCompile(`builder for '([^']+)' failed (with exit code (\d+)|due to signal (\d+) \(([^)]*)\))`)
	reNoOutput   = regexp.MustCompile(`builder for '([^']+)' (failed to produce output path.*)`)
	reReason     = regexp.MustCompile(`Reason: builder failed (with exit code (\d+)|due to signal (\d+) \(([^)]*)\))`)
)

// networkRule covers a download that failed, while evaluating
// (fetchTarball, fetchGit, flake inputs) or building (fetchurl, a
// substituter): 2.8 "error: unable to download 'http://…/x.tar.gz':
// Couldn't resolve host name (6)"; 2.26 and 2.34 "…: Could not resolve
// hostname (6) Could not resolve host: …" as the innermost error of a
// trace, and for fetchurl followed by "builder for …" / "Cannot build …"
// (testdata/*/network-*.txt); the same line with "HTTP error 404",
// "Couldn't connect to server", "Timeout was reached" or an SSL error;
// git's "fatal: unable to access '…': Could not resolve host: …"
// (2.8's fetchGit); a flake input: 2.8 the same line, 2.26 and 2.34 under
// "… while updating the flake input 'dep'" (network-flake-input.txt).
var networkRule = Rule{
	Name: "network", Kind: KindNetwork,
	Match: func(l *nixLog, _ *Evidence) (Match, bool) {
		m, _ := l.find(reDownload)
		if m == nil {
			m, _ = l.findLine(reGitFetch)
		}
		if m == nil {
			return Match{}, false
		}
		reason := strings.TrimSpace(m[2])
		// 2.26+ wrap fetchTarball's error: "Failed to open archive (Source
		// threw exception: error: unable to download '…': …)".
		if strings.Count(reason, ")") > strings.Count(reason, "(") {
			reason = strings.TrimSuffix(reason, ")")
		}
		out := Match{Subject: m[1], Reason: reason}
		if in, _ := l.findLine(reFlakeInput); in != nil {
			out.Input = in[1]
		}
		if b, _ := l.find(reBuilder); b != nil {
			out.Drv = b[1]
		} else if c, _ := l.find(reCannotBuild); c != nil {
			out.Drv = c[1]
		}
		return out, true
	},
	Message: func(m Match, ev *Evidence) string {
		s := fmt.Sprintf("%s could not download %s", ev.where(), m.Subject)
		if host := hostOf(m.Subject); host != "" {
			s += " from " + host
		}
		s += ": " + m.Reason
		if m.Drv != "" {
			s += " (building " + drvName(m.Drv) + ")"
		}
		if m.Input != "" {
			s += " (the flake input " + m.Input + ")"
		}
		return s
	},
	Hint: func(m Match, ev *Evidence, h *hint) string {
		if strings.Contains(m.Reason, "HTTP error 4") {
			return "the server answered, but not with the file: the URL is wrong or gone; fix it in the Nix files (or pin another version)"
		}
		if ev.vm() {
			return fmt.Sprintf("the builder VM has no working network: check it from %s with %s; VPN clients on %s often break Multipass networking (disconnect the VPN, or let the VM's traffic through it); behind a proxy, give the VM's nix-daemon https_proxy (%s)",
				ev.hostName(), h.cmd("multipass", "exec", ev.Machine.VM, "--", "curl", "-sI", "https://cache.nixos.org"), ev.hostName(),
				h.cmd("multipass", "exec", ev.Machine.VM, "--", "sudo", "systemctl", "edit", "nix-daemon"))
		}
		return fmt.Sprintf("check this machine's network: %s; behind a proxy, give Nix https_proxy (for the daemon: %s)",
			h.cmd("curl", "-sI", "https://cache.nixos.org"), h.cmd("sudo", "systemctl", "edit", "nix-daemon"))
	},
}

func hostOf(s string) string {
	if u, err := url.Parse(s); err == nil && u.Host != "" {
		return u.Host
	}
	return ""
}

var (
	reHashMismatch = regexp.MustCompile(`hash mismatch in fixed-output derivation '([^']+)':`)
	reSpecifiedGot = regexp.MustCompile(`specified:\s*(\S+)\s+got:\s*(\S+)`)
)

// hashMismatchRule covers a fixed-output derivation whose hash changed:
// "error: hash mismatch in fixed-output derivation '/nix/store/…drv':
// specified: sha256-AAA…= got: sha256-WJG…=" (2.8, 2.26, 2.34 print both
// in SRI form whatever the file says; testdata/*/hash-mismatch-*.txt).
var hashMismatchRule = Rule{
	Name: "hash-mismatch", Kind: KindBuild,
	Match: func(l *nixLog, _ *Evidence) (Match, bool) {
		m, i := l.find(reHashMismatch)
		if m == nil {
			return Match{}, false
		}
		out := Match{Drv: m[1]}
		if sg := reSpecifiedGot.FindStringSubmatch(errorText(l.lines, i)); sg != nil {
			out.Need, out.Have = sg[1], sg[2]
		}
		return out, true
	},
	Message: func(m Match, _ *Evidence) string {
		s := "the hash of " + drvName(m.Drv) + " (a fixed-output derivation) is not the one written in the Nix files"
		if m.Have != "" {
			s += ": specified " + m.Need + ", got " + m.Have
		}
		return s
	},
	Hint: func(m Match, ev *Evidence, _ *hint) string {
		got, ok := formsOf(m.Have)
		if !ok {
			return "replace the hash of " + drvName(m.Drv) + " with the one Nix printed after got:"
		}
		spec, _ := formsOf(m.Need)
		c := ev.Project.Contains
		switch {
		case c != nil && spec.base32 != "" && c(spec.base32):
			return fmt.Sprintf("replace %s with %q in the Nix files (the hash of %s)", spec.base32, got.base32, drvName(m.Drv))
		case c != nil && spec.sri != "" && c(spec.sri):
			return fmt.Sprintf("replace %s with %q in the Nix files (the hash of %s)", spec.sri, got.sri, drvName(m.Drv))
		}
		return fmt.Sprintf("write %q as the hash of %s (or %q where the file uses Nix's base32 form)", got.sri, drvName(m.Drv), got.base32)
	},
}

var (
	// 2.34: Path 'x.nix' in the repository "/dir" is not tracked by Git.
	reUntracked = regexp.MustCompile(`Path '([^']+)' in the repository "([^"]+)" is not tracked by Git`)
	// 2.8 and 2.26: the file is simply absent from the flake's store copy.
	reSourceMissing = regexp.MustCompile(`(?:getting status of|path) '/nix/store/[0-9a-z]{32}-source/([^']+)'(?:: No such file or directory| does not exist)`)
)

// untrackedRule covers a file git does not track in a git flake, which
// Nix leaves out of the flake's copy: 2.34 "error: Path 'untracked.nix'
// in the repository \"/…/flake\" is not tracked by Git."; 2.26 "error:
// path '/nix/store/…-source/untracked.nix' does not exist"; 2.8 "error:
// getting status of '/nix/store/…-source/untracked.nix': No such file or
// directory" (testdata/*/flake-untracked.txt).
var untrackedRule = Rule{
	Name: "flake-untracked", Kind: KindEval,
	Match: func(l *nixLog, _ *Evidence) (Match, bool) {
		if m, i := l.find(reUntracked); m != nil {
			return Match{Subject: m[1], Repo: m[2], Position: l.position(i)}, true
		}
		if m, i := l.find(reSourceMissing); m != nil {
			return Match{Subject: m[1], Position: l.position(i)}, true
		}
		return Match{}, false
	},
	Message: func(m Match, _ *Evidence) string {
		s := m.Subject + " is not in the flake: Nix copies only the files git tracks"
		if m.Position != "" {
			s += " (needed at " + m.Position + ")"
		}
		return s
	},
	Hint: func(m Match, ev *Evidence, h *hint) string {
		// 2.34 names the repository (as the builder sees it) and the path
		// in it; older Nix only the path in the flake's sources, which is
		// the project folder in the usual flake-at-the-top layout.
		repo := m.Repo
		p := ev.Project
		switch {
		case repo != "" && p.GuestDir != "" && p.Dir != "" && (repo == p.GuestDir || strings.HasPrefix(repo, p.GuestDir+"/")):
			repo = p.Dir + repo[len(p.GuestDir):]
		case repo == "":
			repo = p.Dir
		}
		if repo == "" {
			return "add it to git: " + h.cmd("git", "add", m.Subject) + " (in the flake's folder), then build again"
		}
		return "add it to git: " + h.cmd("git", "-C", repo, "add", m.Subject) + ", then build again"
	},
}

var (
	reNoFile = regexp.MustCompile(`^(?:opening file '([^']+)': No such file or directory|path '([^']+)' does not exist)$`)
	// nix-build FILE with FILE missing (2.8); also what a missing import
	// says, so it counts only for the project's own file.
	reNoFileStat = regexp.MustCompile(`^getting status of '([^']+)': No such file or directory$`)
)

// noNixFileRule covers building a folder without the Nix file: 2.8 and
// 2.26 "error: opening file '/dir/default.nix': No such file or
// directory", 2.34 "error: path '/dir/default.nix' does not exist", with
// no trace or position (testdata/*/no-default.txt), and 2.8's "error:
// getting status of '/dir/default.nix': No such file or directory" for
// a relative FILE. With a project it applies only to the project's own
// file.
var noNixFileRule = Rule{
	Name: "no-nix-file", Kind: KindConfig,
	Match: func(l *nixLog, ev *Evidence) (Match, bool) {
		if len(l.errs) != 1 || l.innermost() != l.errs[0] {
			return Match{}, false
		}
		text := errorText(l.lines, l.errs[0])
		m := reNoFile.FindStringSubmatch(text)
		if s := reNoFileStat.FindStringSubmatch(text); s != nil && ev.Project.File != "" {
			m = []string{s[0], s[1], ""}
		}
		if m == nil || l.position(l.errs[0]) != "" {
			return Match{}, false
		}
		p := m[1] + m[2]
		if ev.Project.File != "" && p != path.Join(ev.Project.guestDir(), ev.Project.File) {
			return Match{}, false
		}
		if ev.Project.File == "" && !strings.HasSuffix(p, "/default.nix") && !strings.HasSuffix(p, "/flake.nix") {
			return Match{}, false
		}
		return Match{Subject: p}, true
	},
	Message: func(m Match, _ *Evidence) string {
		return "there is no " + path.Base(m.Subject) + " to build: " + m.Subject + " does not exist"
	},
	Hint: func(m Match, ev *Evidence, h *hint) string {
		return "create " + path.Base(m.Subject) + " in the folder, or name the file or flake to build: " +
			h.cmd("nixpass", "add", path.Dir(m.Subject), "--file", "FILE") + " (or --flake REF)"
	},
}

var reMissingFile = regexp.MustCompile(`(?:getting status of|opening file|path) '([^']+)'(?:: No such file or directory| does not exist)`)

// missingFileRule covers a file the expression reads that is not there,
// typically `import ../shared/lib.nix` from outside the project: 2.8
// "error: getting status of '/…/shared/lib.nix': No such file or
// directory" (no position); 2.26 and 2.34 "error: path '/…/shared/lib.nix'
// does not exist" under "while calling the 'import' builtin at FILE:L:C"
// (testdata/*/missing-outside.txt).
var missingFileRule = Rule{
	Name: "missing-file", Kind: KindEval,
	Match: func(l *nixLog, _ *Evidence) (Match, bool) {
		m, i := l.find(reMissingFile)
		if m == nil {
			return Match{}, false
		}
		return Match{Subject: m[1], Missing: m[1], Position: l.position(i)}, true
	},
	Message: func(m Match, ev *Evidence) string {
		s := m.Subject + " does not exist on " + ev.where()
		if m.Position != "" {
			s += " (read at " + m.Position + ")"
		}
		return s
	},
	Hint: func(m Match, ev *Evidence, h *hint) string {
		g := ev.Project.guestDir()
		outside := g == "" || !strings.HasPrefix(m.Subject, strings.TrimSuffix(g, "/")+"/")
		fix := "create the file, or fix the path"
		if m.Position != "" {
			fix += " at " + m.Position
		}
		if !outside {
			return fix
		}
		if ev.vm() {
			dir := ev.Project.Dir
			if dir == "" {
				dir = "DIR"
			}
			return fmt.Sprintf("the builder VM sees only mounted folders, and %s is outside the project folder: mount the folder that holds it with %s, or move the file into the project; else %s",
				m.Subject, h.cmd("nixpass", "add", dir, "--mount", path.Dir(m.Subject)), fix)
		}
		if g == "" {
			return fix + "; on a Multipass builder only mounted folders are visible: mount the folder that holds it with nixpass add DIR --mount FOLDER"
		}
		return fix + " (it is outside the project folder)"
	},
}

func (p Project) guestDir() string {
	if p.GuestDir != "" {
		return p.GuestDir
	}
	return p.Dir
}

// builderFailedRule covers a builder that failed: 2.8–2.23 "error:
// builder for '/nix/store/…drv' failed with exit code 3" or "… failed due
// to signal 9 (Killed)" (2.13+ add "; last 10 log lines:" and "> " lines);
// 2.24+ "error: Cannot build '/nix/store/…drv'. / Reason: builder failed
// with exit code 3." or "… due to signal 9 (Killed)." (2.34), and "builder
// for '…' failed to produce output path …" (testdata/*/build-*.txt and
// builder/testdata/nix). A signal 9 is an OOM kill only when the machine's
// evidence shows one.
var builderFailedRule = Rule{
	Name: "builder-failed", Kind: KindBuild,
	Match: func(l *nixLog, ev *Evidence) (Match, bool) {
		var out Match
		at := -1
		if m, i := l.find(reBuilder); m != nil {
			out = Match{Drv: m[1], What: "failed " + m[2]}
			if m[4] != "" {
				fmt.Sscan(m[4], &out.Signal)
			}
			at = i
		} else if m, i := l.find(reCannotBuild); m != nil {
			text := errorText(l.lines, i)
			r := reReason.FindStringSubmatch(text)
			if r == nil {
				return Match{}, false
			}
			out = Match{Drv: m[1], What: "failed " + r[1]}
			if r[3] != "" {
				fmt.Sscan(r[3], &out.Signal)
			}
			at = i
		} else if m, i := l.find(reNoOutput); m != nil {
			out = Match{Drv: m[1], What: m[2]}
			at = i
		} else {
			return Match{}, false
		}
		if out.Signal == 0 {
			out.Signal = ev.Signal
		}
		out.Tail = l.tail(at, out.Drv)
		return out, true
	},
	KindOf:  signalKind,
	Message: func(m Match, ev *Evidence) string { return signalMessage("the builder for "+drvName(m.Drv), m, ev) },
	Hint: func(m Match, ev *Evidence, h *hint) string {
		if m.Signal == 9 {
			return signalHint(ev, h)
		}
		if ev.Project.Dir != "" {
			return "read the builder's log above or in full: " + h.cmd("nixpass", "logs", ev.Project.Dir)
		}
		return "read the builder's own log lines above the error"
	},
}

// nixKilledRule covers nix itself killed by a signal (the build script's
// report), whatever the log says before the cut.
var nixKilledRule = Rule{
	Name: "nix-killed", Kind: KindBuild,
	Match: func(_ *nixLog, ev *Evidence) (Match, bool) {
		return Match{Signal: ev.Signal, What: fmt.Sprintf("was killed by signal %d", ev.Signal)}, ev.Signal != 0
	},
	KindOf:  signalKind,
	Message: func(m Match, ev *Evidence) string { return signalMessage("nix", m, ev) },
	Hint: func(m Match, ev *Evidence, h *hint) string {
		if m.Signal == 9 {
			return signalHint(ev, h)
		}
		return "something stopped nix on " + ev.where() + " (signal " + fmt.Sprint(m.Signal) + "); build again"
	},
}

var reKilledComm = regexp.MustCompile(`Killed process \d+ \(([^)]*)\)`)

func signalKind(m Match, ev *Evidence) Kind {
	if m.Signal == 9 && ev.OOM.Killed {
		return KindOOM
	}
	return KindBuild
}

// signalMessage words a failure honestly: an OOM kill only with evidence,
// "could not be read" when there was none to read.
func signalMessage(who string, m Match, ev *Evidence) string {
	var s string
	switch {
	case m.Signal == 9 && ev.OOM.Killed:
		s = who + " ran out of memory: the kernel killed it"
		if c := reKilledComm.FindStringSubmatch(ev.OOM.Line); c != nil {
			s = who + " ran out of memory: the kernel killed " + c[1]
		}
		if ev.OOM.Line != "" {
			s += " (" + ev.OOM.Line + ")"
		} else if ev.OOM.Source != "" {
			s += " (" + ev.OOM.Source + ")"
		}
	case m.Signal == 9 && ev.OOM.Readable:
		src := ev.OOM.Source
		if src == "" {
			src = "the kernel log"
		}
		s = fmt.Sprintf("%s was killed by signal 9, but %s recorded no OOM kill during the build", who, src)
	case m.Signal == 9:
		s = who + " was killed by signal 9; the kernel log could not be read, so whether memory ran out is unknown"
	case m.Signal != 0:
		s = fmt.Sprintf("%s was killed by signal %d", who, m.Signal)
	default:
		s = who + " " + m.What
	}
	if len(m.Tail) > 0 {
		s += "\n" + strings.Join(m.Tail, "\n")
	}
	return s
}

func signalHint(ev *Evidence, h *hint) string {
	if ev.OOM.Killed {
		return ev.memoryHint(h)
	}
	return "if memory is short: " + ev.memoryHint(h)
}

// buildOtherRule covers any other error after Nix started building, such
// as "error: cycle detected in build of '…' in the references of output
// 'dev' from output 'out'" (2.8, 2.26, 2.34: testdata/*/build-cycle.txt):
// a build failure, not an evaluation error.
var buildOtherRule = Rule{
	Name: "build-other", Kind: KindBuild,
	Match: func(l *nixLog, _ *Evidence) (Match, bool) {
		if len(l.errs) == 0 {
			return Match{}, false
		}
		first := l.errs[0]
		for i := first - 1; i >= 0; i-- {
			if b := reBuilding.FindStringSubmatch(l.lines[i]); b != nil {
				what := errorText(l.lines, l.innermost())
				if what == "" {
					what = lastNonEmpty(l.lines)
				}
				return Match{What: what, Drv: b[1]}, true
			}
		}
		return Match{}, false
	},
	Message: func(m Match, ev *Evidence) string { return "the build failed on " + ev.where() + ": " + m.What },
	Hint: func(_ Match, ev *Evidence, h *hint) string {
		if ev.Project.Dir != "" {
			return "read the full log: " + h.cmd("nixpass", "logs", ev.Project.Dir)
		}
		return "read the lines above the error"
	},
}

// evalRule covers every other error: an evaluation error, whose innermost
// "error:" names the mistake (2.8 "error: undefined variable 'pkgz'" then
// "at FILE:L:C:"; 2.13+ the same at the end of a "… while evaluating"
// trace; testdata/*/eval-*.txt, builder/testdata/nix/*-eval-*.txt).
var evalRule = Rule{
	Name: "eval", Kind: KindEval,
	Match: func(l *nixLog, _ *Evidence) (Match, bool) {
		i := l.innermost()
		if i < 0 {
			return Match{}, false
		}
		what := errorText(l.lines, i)
		if what == "" {
			what = "Nix reported an error without a text: " + lastNonEmpty(l.lines)
		}
		return Match{What: what, Position: l.position(i)}, true
	},
	Message: func(m Match, _ *Evidence) string {
		if m.Position != "" {
			return m.What + " at " + m.Position
		}
		return m.What
	},
	Hint: func(m Match, ev *Evidence, h *hint) string {
		s := "fix the Nix expression and save"
		if m.Position != "" {
			s = "fix the expression at " + m.Position + " and save"
		}
		if c := ev.checkCommand(h); c != "" {
			s += "; check it with: " + c
		}
		return s
	},
}

// NextDisk suggests 20 GiB more disk, in Multipass size syntax.
func NextDisk(disk int64) string {
	if disk <= 0 {
		return "60G"
	}
	return fmt.Sprintf("%dG", RoundGiB(disk)>>30+20)
}
