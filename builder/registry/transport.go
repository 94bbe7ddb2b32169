package registry

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"
)

// Transport is how nixpass talks to registries: TLS trust, and the hosts
// it may talk to in plain HTTP.
type Transport struct {
	// CAFiles are PEM files of certificate authorities trusted on top of
	// the system's ([registry] ca_files).
	CAFiles []string
	// Insecure are the HOST:PORT registries spoken to in plain HTTP
	// ([registry] insecure). Loopback addresses always may be.
	Insecure []string
}

// allowsHTTP reports whether plain HTTP may go to host (HOST[:PORT]).
func (t Transport) allowsHTTP(host string) bool {
	if slices.Contains(t.Insecure, host) {
		return true
	}
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(h, "[]"))
	return ip != nil && ip.IsLoopback()
}

// roundTripper builds the HTTP transport: proxies from the environment,
// the system's trust store plus CAFiles, and plain HTTP only where
// allowsHTTP says so. go-containerregistry picks http:// by itself for
// private addresses (10.x, 192.168.x, *.local); such a request is sent
// over TLS instead, so plain HTTP never leaves for a host not named.
func (t Transport) roundTripper() (http.RoundTripper, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	for _, f := range t.CAFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read [registry] ca_files: %w", err)
		}
		if !pool.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("[registry] ca_files: %s holds no PEM certificate", f)
		}
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: 5 * time.Minute,
		ExpectContinueTimeout: time.Second,
		TLSClientConfig:       &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
	}
	return &httpGuard{t: t, next: tr}, nil
}

// httpGuard moves http:// requests to hosts not allowed plain HTTP onto
// https://.
type httpGuard struct {
	t    Transport
	next http.RoundTripper
}

func (g *httpGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" && !g.t.allowsHTTP(req.URL.Host) {
		req = req.Clone(req.Context())
		req.URL.Scheme = "https"
	}
	return g.next.RoundTrip(req)
}
