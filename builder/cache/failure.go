package cache

import (
	"regexp"
	"strings"

	"nixpass/builder"
)

// rule maps what `nix copy` printed on a failed upload to a hint. The
// first rule whose pattern matches wins; every pattern was read from the
// output of Nix 2.8 and 2.34 (testdata/nix, made by testdata/capture.sh).
type rule struct {
	name string
	re   *regexp.Regexp
	hint string
}

// rules is the one table of upload failures.
var rules = []rule{
	{"key", regexp.MustCompile(`(?i)secret key is corrupt|error: key is corrupt|opening file .*secret|opening file ["'][^"']*["']: No such file`),
		"the signing key cannot be read: check [cache] secret_key_file names a key file this user can read (make one with: nixpass cache key NAME)"},
	{"not signed", regexp.MustCompile(`lacks a (valid )?signature|lacks a signature by a trusted key|not signed by any of the keys`),
		"the destination accepts only paths signed by a key it trusts: add the line of [cache] public_key to its trusted-public-keys (in that machine's nix.conf), or make your user one of its trusted-users"},
	{"refused", regexp.MustCompile(`HTTP error 40[0-9]|HTTP error 405|does not appear to be a binary cache|Access Denied|AccessDenied|403 Forbidden`),
		"the server refused the upload: check that it accepts PUT for this user (credentials belong in a netrc file: netrc-file in nix.conf), and that [cache] upload is its writable URL"},
	{"permission", regexp.MustCompile(`Permission denied|Read-only file system|Operation not permitted|not privileged`),
		"this user may not write there: make the cache folder writable for it (or choose one it owns), then build again"},
	{"unreachable", regexp.MustCompile(`Couldn't connect to server|Could not connect to server|Couldn't resolve host|Could not resolve host|Connection refused|Connection timed out|No route to host|Timeout was reached|ssh: connect to host|cannot connect to|failed to start SSH connection|Name or service not known`),
		"the cache cannot be reached: check [cache] upload's host and port, your network or VPN, and that the server is up; the next build uploads again"},
}

// Classify turns a failed upload's output into an error of kind cache:
// the store's own error line and the hint of the first rule that
// matches, or a general hint when none does. url is shown public.
func Classify(url, output string, cause error) *builder.Error {
	msg := lastError(output)
	hint := "nix copy failed: read its error above, fix the cache or [cache] upload, and build again to upload (the image itself is good)"
	for _, r := range rules {
		if r.re.MatchString(output) {
			hint = r.hint
			break
		}
	}
	return &builder.Error{Kind: builder.KindCache, Err: cause,
		Message: "upload to " + PublicURL(url) + ": " + msg, Hint: hint}
}

// lastError is the last "error:" of Nix's output, joined with the lines
// that continue it (Nix 2.34 nests the cause on an indented line), or the
// last non-empty line.
func lastError(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	start := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "error:") {
			start = i
		}
	}
	if start < 0 {
		for i := len(lines) - 1; i >= 0; i-- {
			if s := strings.TrimSpace(lines[i]); s != "" {
				return s
			}
		}
		return "nix copy failed"
	}
	var parts []string
	for _, l := range lines[start:] {
		s := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "error:"))
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ": ")
}
