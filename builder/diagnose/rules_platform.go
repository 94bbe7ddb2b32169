package diagnose

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"nixpass/builder"
)

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
	Name: "platform", Kind: builder.KindPlatform,
	Action: say("Set up emulation or drop the project's system"),
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
	Name: "network", Kind: builder.KindNetwork,
	Action: say("Check the builder's network, then Build again"),
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
				ev.hostName(), h.cmd("multipass", "exec", ev.Machine.VM, "--", "curl", "-sI", probeURL(m.Subject)), ev.hostName(),
				h.cmd("multipass", "exec", ev.Machine.VM, "--", "sudo", "systemctl", "edit", "nix-daemon"))
		}
		return fmt.Sprintf("check this machine's network: %s; behind a proxy, give Nix https_proxy (for the daemon: %s)",
			h.cmd("curl", "-sI", probeURL(m.Subject)), h.cmd("sudo", "systemctl", "edit", "nix-daemon"))
	},
}

// probeURL is what to check the network with for a failed download of
// subject: its own scheme and host ("git+https://" as https, anything
// else not http as https), without path or user info; cache.nixos.org
// when subject names no host.
func probeURL(subject string) string {
	u, err := url.Parse(subject)
	if err != nil || u.Host == "" {
		return "https://cache.nixos.org"
	}
	scheme := strings.TrimPrefix(strings.ToLower(u.Scheme), "git+")
	if scheme != "http" && scheme != "https" {
		scheme = "https"
	}
	return scheme + "://" + u.Host
}

func hostOf(s string) string {
	if u, err := url.Parse(s); err == nil && u.Host != "" {
		return u.Host
	}
	return ""
}
