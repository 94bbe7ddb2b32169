package config

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
)

// Cache is the [cache] table: a binary cache the team shares. nixpass
// substitutes from URL in its own builds, trusting PublicKey, and, when
// Upload and SecretKeyFile are set, signs and copies each successful
// build's closure to Upload.
type Cache struct {
	// URL is the cache builds substitute from, such as
	// "https://cache.example.com" or "file:///Volumes/team/cache".
	URL string `toml:"url"`
	// PublicKey is the cache's signing key, "NAME:BASE64", as printed by
	// `nixpass cache key` or `nix key convert-secret-to-public`.
	PublicKey string `toml:"public_key"`
	// Upload is the store URL successful builds are copied to
	// (file://, http(s)://, ssh://, ssh-ng://, s3://); it may differ from
	// URL (a writable path to the same cache, say). Empty uploads nothing.
	Upload string `toml:"upload"`
	// SecretKeyFile is the file holding the secret key uploads are signed
	// with, "NAME:BASE64"; it must be an absolute path.
	SecretKeyFile string `toml:"secret_key_file"`
	// IncludeBuildDeps uploads the build-time closure too (compilers,
	// sources), not only what the image needs at run time.
	IncludeBuildDeps bool `toml:"include_build_deps"`
}

// cacheSchemes are the store URL schemes an upload may name.
var cacheSchemes = []string{"file", "http", "https", "ssh", "ssh-ng", "s3"}

// cacheProblems checks the [cache] table for builds on backend.
func (c Cache) cacheProblems(backend string) []remoteProblem {
	var out []remoteProblem
	if c.URL != "" {
		if msg := storeURLProblem(c.URL, []string{"file", "http", "https", "s3", "ssh", "ssh-ng"}); msg != "" {
			out = append(out, remoteProblem{"url", msg})
		}
	}
	if c.PublicKey != "" {
		if msg := cacheKeyProblem(c.PublicKey); msg != "" {
			out = append(out, remoteProblem{"public_key", msg + `; copy the line nixpass cache key printed, or run: nix key convert-secret-to-public < SECRET_KEY_FILE`})
		}
	} else if c.URL != "" {
		out = append(out, remoteProblem{"public_key", "is missing: Nix uses only signed paths from url, so add the cache's public key (public_key = \"NAME:BASE64\", as its owner's nixpass cache key printed)"})
	}
	if c.Upload != "" {
		if msg := storeURLProblem(c.Upload, cacheSchemes); msg != "" {
			out = append(out, remoteProblem{"upload", msg})
		} else if host := loopbackHost(c.Upload); host != "" && backend == BackendMultipass {
			out = append(out, remoteProblem{"upload", fmt.Sprintf("%q names %s, but builds upload from inside the builder VM, where %s is the VM itself, not this computer: "+
				"write the address the VM reaches this computer at (the host's address on Multipass's network, such as 192.168.64.1 on a Mac; "+
				"ip -4 route show default, run in the VM, names it) or a host name both resolve, "+
				"or upload to a folder instead (file:///absolute/folder: nixpass mounts it in the VM)", publicStoreURL(c.Upload), host, host)})
		}
		if c.SecretKeyFile == "" {
			out = append(out, remoteProblem{"secret_key_file", "is missing: uploads are signed; make a key with: nixpass cache key NAME"})
		}
	}
	if c.SecretKeyFile != "" {
		switch {
		case !text(c.SecretKeyFile):
			out = append(out, remoteProblem{"secret_key_file", fmt.Sprintf("%q is not valid UTF-8 text without NUL characters", c.SecretKeyFile)})
		case !filepath.IsAbs(c.SecretKeyFile):
			out = append(out, remoteProblem{"secret_key_file", fmt.Sprintf("%q is relative: write the absolute path of the key file", c.SecretKeyFile)})
		}
	}
	if c.IncludeBuildDeps && c.Upload == "" {
		out = append(out, remoteProblem{"include_build_deps", "applies to uploads, but upload is not set: set upload = \"URL\", or leave include_build_deps out"})
	}
	return out
}

// storeURLProblem says what is wrong with a Nix store URL for a cache, or
// "".
func storeURLProblem(s string, schemes []string) string {
	if !text(s) || strings.ContainsAny(s, " \t\r\n") {
		return fmt.Sprintf("%q may not contain spaces or control characters: Nix splits its settings on spaces", s)
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" {
		return fmt.Sprintf("%q is not a store URL such as \"https://cache.example.com\" or \"file:///srv/cache\"", s)
	}
	ok := false
	for _, sc := range schemes {
		ok = ok || u.Scheme == sc
	}
	if !ok {
		return fmt.Sprintf("%q: the scheme %s:// is not one nixpass uses for a cache; use one of %s://", s, u.Scheme, strings.Join(schemes, "://, "))
	}
	switch {
	case u.Scheme == "file" && (u.Path == "" || !strings.HasPrefix(u.Path, "/")):
		return fmt.Sprintf("%q names no absolute folder: write file:///absolute/folder", s)
	case u.Scheme != "file" && u.Host == "":
		return fmt.Sprintf("%q names no host", s)
	}
	return ""
}

// loopbackHost is the host of a store URL when it is this machine's own
// loopback (localhost, 127.0.0.0/8, ::1), including an s3 store's
// endpoint; otherwise "".
func loopbackHost(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	hosts := []string{u.Hostname()}
	if ep := u.Query().Get("endpoint"); ep != "" {
		if e, err := url.Parse(ep); err == nil && e.Host != "" {
			hosts = append(hosts, e.Hostname())
		} else {
			h, _, _ := strings.Cut(ep, ":")
			hosts = append(hosts, h)
		}
	}
	for _, h := range hosts {
		l := strings.ToLower(strings.TrimSuffix(h, "."))
		ip := net.ParseIP(l)
		if l == "localhost" || strings.HasSuffix(l, ".localhost") || l == "ip6-localhost" || ip != nil && ip.IsLoopback() {
			return h
		}
	}
	return ""
}

// publicStoreURL is s without user info, query or fragment, for messages.
func publicStoreURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}
