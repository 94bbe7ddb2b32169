package config

import (
	"encoding/base64"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"nixpass/builder/lazyre"
)

// remoteProblem is a broken rule of one of the [builder] keys for remote
// builders and binary caches.
type remoteProblem struct{ key, msg string }

var (
	// nixSystem is a Nix system double such as "x86_64-linux".
	nixSystem = lazyre.New(`^[a-z0-9_]+-[a-z0-9]+$`)
	// nixFeature is a system feature such as "big-parallel" or "kvm".
	nixFeature = lazyre.New(`^[A-Za-z0-9_.+-]+$`)
	// substituterURL is a store URL Nix can substitute from.
	substituterURL = lazyre.New(`^[a-z][a-z0-9+.-]*://\S+$`)
	// cacheKey is a binary cache's public key, "NAME:BASE64".
	cacheKey = lazyre.New(`^[^:\s]+:[A-Za-z0-9+/]+={0,2}$`)
)

// machineFields names the fields of a Nix machine line, in order.
var machineFields = []string{"URI", "systems", "SSH key", "max jobs", "speed factor", "supported features", "mandatory features", "host key"}

// remoteProblems checks the keys that configure Nix's distributed builds
// and binary caches.
func (b Builder) remoteProblems() []remoteProblem {
	var out []remoteProblem
	for i, line := range b.Builders {
		if msg := machineLineProblem(line); msg != "" {
			out = append(out, remoteProblem{"builders", fmt.Sprintf("element %d: %s", i+1, msg)})
		}
	}
	if b.MaxJobs != nil && *b.MaxJobs < 0 {
		out = append(out, remoteProblem{"max_jobs", fmt.Sprintf("must be 0 (build only on the remote builders) or more, not %d", *b.MaxJobs)})
	}
	if b.MaxJobs != nil && *b.MaxJobs == 0 && len(b.Builders) == 0 {
		out = append(out, remoteProblem{"max_jobs", "0 builds only on remote builders, but builders is empty: add a machine line to builders, or leave max_jobs out"})
	}
	for i, s := range b.Substituters {
		if !substituterURL.MatchString(s) {
			out = append(out, remoteProblem{"substituters", fmt.Sprintf("element %d, %q, is not a binary cache URL such as \"https://cache.nixos.org\"", i+1, s)})
		}
	}
	if b.NetrcFile != "" && (!filepath.IsAbs(b.NetrcFile) || !text(b.NetrcFile)) {
		out = append(out, remoteProblem{"netrc_file", fmt.Sprintf("%q is not an absolute path: write the full path of the netrc file, e.g. \"/Users/me/.config/nix/netrc\"", b.NetrcFile)})
	}
	for i, k := range b.TrustedPublicKeys {
		if msg := cacheKeyProblem(k); msg != "" {
			out = append(out, remoteProblem{"trusted_public_keys", fmt.Sprintf("element %d: %s", i+1, msg)})
		}
	}
	return out
}

// machineLineProblem says what is wrong with one Nix machine line, or "".
func machineLineProblem(line string) string {
	if strings.ContainsAny(line, ";\n\r#") || !text(line) {
		return fmt.Sprintf("%q may not contain ';', '#' or a line break: Nix reads those as the end of a machine; give each builder its own string", line)
	}
	f := strings.Fields(line)
	if len(f) == 0 {
		return `is empty: write a machine line such as "ssh-ng://me@bigbox x86_64-linux /Users/me/.ssh/nix_builder 4"`
	}
	if len(f) > len(machineFields) {
		return fmt.Sprintf("%q has %d fields, Nix's machine lines have at most %d (%s); a path with spaces cannot be written in one", line, len(f), len(machineFields), strings.Join(machineFields, ", "))
	}
	uri := f[0]
	scheme, rest, ok := strings.Cut(uri, "://")
	if !ok || (scheme != "ssh" && scheme != "ssh-ng") {
		return fmt.Sprintf("the URI %q must start with ssh-ng:// or ssh://, e.g. \"ssh-ng://me@bigbox\"", uri)
	}
	host, _, _ := strings.Cut(rest, "?")
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		host = host[i+1:]
	}
	if host == "" {
		return fmt.Sprintf("the URI %q names no host", uri)
	}
	if strings.Contains(host, ":") && !strings.HasPrefix(host, "[") {
		return fmt.Sprintf("the URI %q has a port, which Nix 2.8 to 2.26 do not accept: put the host and port in an ssh config alias (Host bigbox / HostName … / Port …) and use ssh-ng://bigbox", uri)
	}
	dash := func(i int) bool { return len(f) <= i || f[i] == "-" }
	if !dash(1) {
		for _, s := range strings.Split(f[1], ",") {
			if !nixSystem.MatchString(s) {
				return fmt.Sprintf("systems: %q is not a Nix system such as x86_64-linux or aarch64-linux", s)
			}
		}
	}
	if !dash(2) && !filepath.IsAbs(f[2]) && !strings.HasPrefix(f[2], "/") {
		return fmt.Sprintf("SSH key: %q must be an absolute path (or - for ssh's own keys)", f[2])
	}
	for i := 3; i <= 4; i++ {
		if dash(i) {
			continue
		}
		if n, err := strconv.Atoi(f[i]); err != nil || n < 0 {
			return fmt.Sprintf("%s: %q is not a whole number (or -)", machineFields[i], f[i])
		}
	}
	for i := 5; i <= 6; i++ {
		if dash(i) {
			continue
		}
		for _, s := range strings.Split(f[i], ",") {
			if !nixFeature.MatchString(s) {
				return fmt.Sprintf("%s: %q is not a feature name such as big-parallel or kvm", machineFields[i], s)
			}
		}
	}
	if !dash(7) {
		key, err := base64.StdEncoding.DecodeString(f[7])
		if err != nil || !strings.HasPrefix(string(key), "ssh-") && !strings.HasPrefix(string(key), "ecdsa-") {
			return "host key: not the base64 of the builder's public host key; make it with: base64 -w0 /etc/ssh/ssh_host_ed25519_key.pub (on the builder)"
		}
	}
	return ""
}

// cacheKeyProblem says what is wrong with a binary cache key, or "".
func cacheKeyProblem(k string) string {
	if !cacheKey.MatchString(k) {
		return fmt.Sprintf("%q is not a cache key NAME:BASE64 such as \"cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=\"", k)
	}
	_, b64, _ := strings.Cut(k, ":")
	if raw, err := base64.StdEncoding.DecodeString(b64); err != nil || len(raw) != 32 {
		return fmt.Sprintf("%q: the part after ':' is not a 32-byte ed25519 public key in base64", k)
	}
	return ""
}
