package cache

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"
)

// ProbeTimeout bounds Probe: how long a cache that is down may cost a
// build.
var ProbeTimeout = ConnectTimeout * time.Second

// Probe checks once, before a build, that the cache answers: for http(s)
// caches a GET of nix-cache-info within ProbeTimeout, for file:// caches
// that the folder holds one. Other stores (s3, ssh) are not probed. A
// build whose cache is down leaves the cache out of its settings and says
// so once, instead of letting Nix retry it with backoff (about 4 s per
// build on Nix 2.8 to 2.34, measured) — Nix's download-attempts would
// also take the retries from the build's own source downloads.
func Probe(ctx context.Context, cacheURL string) error {
	u, err := url.Parse(cacheURL)
	if err != nil {
		return fmt.Errorf("cache %s: %w", PublicURL(cacheURL), err)
	}
	switch u.Scheme {
	case "file":
		if _, err := os.Stat(filepath.Join(u.Path, "nix-cache-info")); err != nil {
			return fmt.Errorf("cache %s is not there: %w", PublicURL(cacheURL), err)
		}
		return nil
	case "http", "https":
	default:
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, ProbeTimeout)
	defer cancel()
	info := u.JoinPath("nix-cache-info")
	info.RawQuery = ""
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, info.String(), nil)
	if err != nil {
		return fmt.Errorf("cache %s: %w", PublicURL(cacheURL), err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("cache %s does not answer (%v): building without it", PublicURL(cacheURL), unwrapURL(err))
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("cache %s answers %s for nix-cache-info: building without it", PublicURL(cacheURL), resp.Status)
	}
	return nil
}

// unwrapURL drops net/http's "Get URL:" prefix, which would repeat the
// URL (with any user info).
func unwrapURL(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}
