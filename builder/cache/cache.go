// Package cache is nixpass's side of a team's binary cache: the Nix
// settings that pull from it in nixpass's own builds, the check that
// nix-daemon will honour them, signed uploads of built closures with
// `nix copy`, the record that keeps an up-to-date build from uploading
// again, and the rules that turn a failed upload into a message and a
// hint. It also makes signing keys in Nix's own format.
//
// It imports only the builder root, runner and tools.
package cache

import (
	"net/url"
	"strings"

	"nixpass/builder"
)

// Report is the "cache" object of a build's result (builder.Result's
// Cache): what one upload copied where.
type Report = builder.CacheUpload

// PublicURL is u as it may be shown: without user info, query or
// fragment. A URL that does not parse is shown as its scheme only.
func PublicURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		scheme, _, _ := strings.Cut(u, "://")
		return scheme + "://…"
	}
	p.User, p.RawQuery, p.ForceQuery, p.Fragment, p.RawFragment = nil, "", false, "", ""
	return p.String()
}

// scheme is the store URL's scheme, lower-cased.
func scheme(u string) string {
	s, _, _ := strings.Cut(u, "://")
	return strings.ToLower(s)
}

// binaryCache reports whether u is a store Nix writes as a binary cache
// (NARs and .narinfo files), which takes secret-key and compression.
func binaryCache(u string) bool {
	switch scheme(u) {
	case "file", "http", "https", "s3":
		return true
	}
	return false
}
