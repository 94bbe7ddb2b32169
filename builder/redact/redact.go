// Package redact masks the secrets users put in URLs: the user info of
// "https://user:token@host/…" or "git+https://oauth2:TOKEN@…". nixpass
// applies it at the few points where text leaves it (its log, its
// events, its results, its config errors, list), so a token a Nix line
// or a config value carries is never shown or stored. It imports nothing
// of nixpass.
package redact

import "strings"

// Mask replaces the user info of a URL.
const Mask = "***"

// URLs returns s with the user info of every URL in it replaced by Mask:
// "https://oauth2:TOKEN@host/x" becomes "https://***@host/x". An ssh URL's
// user name is not secret (it is how a remote builder is named, as in
// "ssh://nix@builder"), so it is kept unless it carries a password.
func URLs(s string) string {
	if !strings.Contains(s, "://") || !strings.Contains(s, "@") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	rest := s
	for {
		i := strings.Index(rest, "://")
		if i < 0 {
			b.WriteString(rest)
			return b.String()
		}
		start := i + len("://")
		end := start
		for end < len(rest) && !authorityEnd(rest[end]) {
			end++
		}
		user, _, hasUser := cutLast(rest[start:end], '@')
		if !hasUser || (isSSH(scheme(rest[:i])) && !strings.Contains(user, ":")) {
			b.WriteString(rest[:end])
		} else {
			b.WriteString(rest[:start])
			b.WriteString(Mask)
			b.WriteString(rest[start+len(user) : end])
		}
		rest = rest[end:]
	}
}

// HasUserInfo reports whether s holds a URL whose user info URLs masks.
func HasUserInfo(s string) bool { return URLs(s) != s }

// authorityEnd reports whether c ends a URL's authority (user info, host
// and port): a path, query or fragment starts, or the text around the
// URL resumes.
func authorityEnd(c byte) bool {
	switch c {
	case '/', '?', '#', ' ', '\t', '\n', '\r', '"', '\'', '<', '>', '`', '\\', '{', '}', '|', '^':
		return true
	}
	return c < 0x20 || c == 0x7f
}

// scheme is the URL scheme that ends text (which ends just before
// "://"), lower-cased.
func scheme(text string) string {
	i := len(text)
	for i > 0 && schemeByte(text[i-1]) {
		i--
	}
	return strings.ToLower(text[i:])
}

func schemeByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'
}

func isSSH(scheme string) bool { return scheme == "ssh" || scheme == "ssh-ng" }

// cutLast is strings.Cut at the last sep.
func cutLast(s string, sep byte) (before, after string, found bool) {
	if i := strings.LastIndexByte(s, sep); i >= 0 {
		return s[:i], s[i+1:], true
	}
	return s, "", false
}
