package registry

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

func TestFailureRules(t *testing.T) {
	regErr := func(status int, code transport.ErrorCode, msg string) error {
		return fmt.Errorf("PUT: %w", &transport.Error{StatusCode: status, Errors: []transport.Diagnostic{{Code: code, Message: msg}}})
	}
	cases := []struct {
		err  error
		rule string
	}{
		{regErr(401, transport.UnauthorizedErrorCode, "authentication required"), "unauthorized"},
		{&transport.Error{StatusCode: 401}, "unauthorized"},
		{regErr(413, "", ""), "too large"},
		{regErr(403, transport.DeniedErrorCode, "storage quota exceeded"), "too large"},
		{regErr(403, transport.DeniedErrorCode, "requested access to the resource is denied"), "denied"},
		{regErr(400, transport.NameInvalidErrorCode, "invalid repository name"), "name refused"},
		{regErr(404, transport.NameUnknownErrorCode, "repository name not known"), "name refused"},
		{regErr(400, transport.DigestInvalidErrorCode, "digest invalid"), "digest refused"},
		{errors.New(`error getting credentials - err: exec: "docker-credential-desktop": executable file not found in $PATH`), "credential helper"},
		{&net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "regsitry.example", IsNotFound: true}}, "unknown host"},
		{&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, "refused"},
		{errors.New("http: server gave HTTP response to HTTPS client"), "plain http"},
		{fmt.Errorf("Get: %w", x509.UnknownAuthorityError{}), "tls"},
		{&net.OpError{Op: "dial", Err: timeoutErr{}}, "timed out"},
		{context.DeadlineExceeded, "timed out"},
		{fmt.Errorf("PATCH: %w", io.ErrUnexpectedEOF), "interrupted"},
		{&net.OpError{Op: "write", Err: syscall.ECONNRESET}, "interrupted"},
		{errors.New("something else"), ""},
	}
	seen := map[string]bool{}
	for _, tc := range cases {
		_, got := classify(tc.err)
		if got != tc.rule {
			t.Errorf("classify(%v) = %q, want %q", tc.err, got, tc.rule)
		}
		seen[got] = true
	}
	for _, r := range rules {
		if !seen[r.name] {
			t.Errorf("rule %q has no case", r.name)
		}
		if strings.Contains(r.hint, "%") {
			t.Errorf("rule %q: hint has a format verb; use {host}", r.name)
		}
	}
	e := failure("registry.example:5000", "registry.example:5000/a:b", &net.OpError{Op: "dial", Err: timeoutErr{}})
	if !strings.Contains(e.Message, "push to registry.example:5000 failed: the connection timed out") || !strings.Contains(e.Hint, "Finder or launchd has no proxy environment") {
		t.Errorf("timeout failure = %q / %q", e.Message, e.Hint)
	}
	e = failure("h:1", "h:1/a", regErr(401, transport.UnauthorizedErrorCode, "x"))
	if !strings.Contains(e.Hint, "docker login h:1") {
		t.Errorf("401 hint %q does not name the host", e.Hint)
	}
}

// TestFailureSaysWhatTheRegistrySaid: the message carries the registry's
// status and words, never go-containerregistry's scope maps.
func TestFailureSaysWhatTheRegistrySaid(t *testing.T) {
	scope := []map[string]string{{"Type": "repository", "Name": "team/app", "Action": "pull"}}
	cases := []struct {
		err  error
		want string
	}{
		{&transport.Error{StatusCode: 401, Errors: []transport.Diagnostic{
			{Code: transport.UnauthorizedErrorCode, Message: "authentication required", Detail: scope},
			{Code: transport.UnauthorizedErrorCode, Message: "authentication required", Detail: scope},
		}}, "push to r:5000 failed: not logged in, or the password is wrong (the registry answered 401 Unauthorized: authentication required)"},
		{&transport.Error{StatusCode: 413}, "push to r:5000 failed: the registry refused the image: a quota or size limit (the registry answered 413 Request Entity Too Large)"},
		{fmt.Errorf("PUT: %w", &transport.Error{StatusCode: 400, Errors: []transport.Diagnostic{{Code: transport.NameInvalidErrorCode}}}),
			"push to r:5000 failed: the registry refused the repository name (the registry answered 400 Bad Request: name invalid)"},
		{errors.New("something else"), "push to r:5000 failed: something else"},
	}
	for _, tc := range cases {
		e := failure("r:5000", "r:5000/team/app:v1", tc.err)
		if e.Message != tc.want {
			t.Errorf("failure(%v)\n got %q\nwant %q", tc.err, e.Message, tc.want)
		}
		if strings.Contains(e.Message, "map[") {
			t.Errorf("message %q carries a scope map", e.Message)
		}
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestTag(t *testing.T) {
	cases := []struct{ ref, image, want string }{
		{"v2", "app:v1", "v2"},
		{"", "app:v1", "v1"},
		{"", "", "latest"},
		{"", "app:4dyhq3lrvn4b0d0g6k1mjkvq1ss5b1gh", "latest"},
		{"", "localhost:5000/app", "latest"},
		{"", "reg:5000/app:1.2", "1.2"},
	}
	for _, tc := range cases {
		if got := Tag(tc.ref, tc.image); got != tc.want {
			t.Errorf("Tag(%q, %q) = %q, want %q", tc.ref, tc.image, got, tc.want)
		}
	}
}

type schemeRecorder struct{ got []string }

func (s *schemeRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	s.got = append(s.got, r.URL.Scheme+"://"+r.URL.Host)
	return nil, errors.New("recorded")
}

func TestTransportPlainHTTPOnlyToLoopbackAndInsecure(t *testing.T) {
	rec := &schemeRecorder{}
	g := &httpGuard{t: Transport{Insecure: []string{"10.0.0.5:5000"}}, next: rec}
	for _, u := range []string{"http://127.0.0.1:5000/v2/", "http://localhost:5000/v2/", "http://[::1]:5000/v2/", "http://10.0.0.5:5000/v2/", "http://10.0.0.6:5000/v2/", "http://192.168.1.2/v2/", "http://registry.local/v2/"} {
		req, _ := http.NewRequest("GET", u, nil)
		g.RoundTrip(req)
	}
	want := "http://127.0.0.1:5000 http://localhost:5000 http://[::1]:5000 http://10.0.0.5:5000 https://10.0.0.6:5000 https://192.168.1.2 https://registry.local"
	if got := strings.Join(rec.got, " "); got != want {
		t.Errorf("requests went to\n%s\nwant\n%s", got, want)
	}
}

func TestMenuLine(t *testing.T) {
	p := Progress{Project: "/src/api", Layers: 3, LayersTotal: 7, Bytes: 120_000_000, BytesTotal: 400_000_000}
	if got := p.MenuLine("api"); got != "Pushing api: 3/7 layers, 120/400 MB" {
		t.Errorf("MenuLine = %q", got)
	}
}

func TestTransportCAFiles(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	pem.Encode(mustCreate(t, ca), &pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	for _, tc := range []struct {
		name string
		tr   Transport
		rule string
	}{{"system trust only", Transport{}, "tls"}, {"ca_files", Transport{CAFiles: []string{ca}}, ""}} {
		rt, err := tc.tr.roundTripper()
		if err != nil {
			t.Fatal(err)
		}
		resp, err := (&http.Client{Transport: rt}).Get(srv.URL)
		if err == nil {
			resp.Body.Close()
		}
		if _, got := classifyOrNil(err); got != tc.rule {
			t.Errorf("%s: err %v classified %q, want %q", tc.name, err, got, tc.rule)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.pem")
	os.WriteFile(bad, []byte("not a certificate"), 0o644)
	if _, err := (Transport{CAFiles: []string{bad}}).roundTripper(); err == nil || !strings.Contains(err.Error(), "holds no PEM certificate") {
		t.Errorf("a CA file without a certificate: %v", err)
	}
}

func classifyOrNil(err error) (verdict, string) {
	if err == nil {
		return verdict{}, ""
	}
	return classify(err)
}

func mustCreate(t *testing.T, p string) *os.File {
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}
