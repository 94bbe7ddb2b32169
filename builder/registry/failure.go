package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"syscall"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"nixpass/builder"
)

// verdict is what a failed push is told as: its cause and what to do.
type verdict struct {
	// cause is a few words: "not logged in, or the password is wrong".
	cause string
	// hint is the remedy; {host} is the registry host.
	hint string
}

// rule maps a failure to a verdict. The first that matches wins.
type rule struct {
	name  string
	match func(error) bool
	verdict
}

// rules is the one table of push failures.
var rules = []rule{
	{"unauthorized", status(http.StatusUnauthorized, transport.UnauthorizedErrorCode),
		verdict{"not logged in, or the password is wrong", "Log in with `docker login {host}` (nixpass uses Docker's credentials, ~/.docker/config.json or $DOCKER_CONFIG)."}},
	{"too large", either(status(http.StatusRequestEntityTooLarge), deniedSaying("quota", "size", "limit", "too large", "exceed")),
		verdict{"the registry refused the image: a quota or size limit", "Free space in the registry account (delete old tags) or raise its quota, or make the image smaller."}},
	{"denied", status(http.StatusForbidden, transport.DeniedErrorCode),
		verdict{"the account may not push to this repository (denied)", "Check that the repository exists and your account may push to it (on Docker Hub: the namespace is yours or your organisation's), or log in as another user with `docker login {host}`."}},
	{"name refused", status(0, transport.NameInvalidErrorCode, transport.NameUnknownErrorCode),
		verdict{"the registry refused the repository name", "Use a repository name the registry accepts: lower-case letters, digits and . _ - separated by /, and a namespace you own."}},
	{"digest refused", status(0, transport.DigestInvalidErrorCode),
		verdict{"the registry refused a layer's digest even after nixpass compressed the layer again", "Run `nixpass push` again; if it fails the same way, the registry or a proxy in between alters uploads."}},
	{"credential helper", func(err error) bool {
		return strings.Contains(err.Error(), "docker-credential-") || strings.Contains(err.Error(), "error getting credentials")
	}, verdict{"Docker's credential helper failed", "Check credsStore/credHelpers in ~/.docker/config.json: the helper it names must be installed (Docker Desktop's, or `docker-credential-osxkeychain`); run `docker login {host}` in a terminal to see its error."}},
	{"unknown host", func(err error) bool {
		var d *net.DNSError
		return errors.As(err, &d) && (d.IsNotFound || strings.Contains(d.Err, "no such host"))
	}, verdict{"the registry's host name does not resolve", "Check the registry in the push ref ({host}) for a typo, and that this Mac is online (a VPN may be needed for a company registry)."}},
	{"refused", func(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) },
		verdict{"the connection was refused", "Nothing answers at {host}: check the registry's host and port, and that the registry is running."}},
	{"plain http", func(err error) bool {
		return strings.Contains(err.Error(), "server gave HTTP response to HTTPS client")
	},
		verdict{"the registry speaks plain HTTP, and nixpass uses HTTPS", "If {host} is a trusted registry without TLS, add it to [registry] insecure = [\"{host}\"] in nixpass's config."}},
	{"tls", isTLS,
		verdict{"nixpass could not verify the registry's TLS certificate", "If the registry uses a company or self-signed CA, add its PEM file to [registry] ca_files = [\"/path/ca.pem\"]; for a registry without TLS, list it in [registry] insecure."}},
	{"timed out", func(err error) bool {
		var ne net.Error
		return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
	}, verdict{"the connection timed out", "Check the network and the registry. Behind a proxy: an app started from Finder or launchd has no proxy environment (HTTPS_PROXY); run `nixpass push` from a terminal, or set the variables with `launchctl setenv HTTPS_PROXY …`."}},
	{"interrupted", func(err error) bool {
		return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed) || errors.Is(err, io.EOF)
	}, verdict{"the upload was interrupted, and retries with backoff did not get it through", "Run `nixpass push` again: layers that arrived are not uploaded twice, and the tag still names the image it named before."}},
}

// classify returns the verdict of err; the zero verdict when no rule
// matches.
func classify(err error) (verdict, string) {
	for _, r := range rules {
		if r.match(err) {
			return r.verdict, r.name
		}
	}
	return verdict{}, ""
}

// status matches a registry error by HTTP status (0: any) or by one of
// its error codes.
func status(code int, codes ...transport.ErrorCode) func(error) bool {
	return func(err error) bool {
		var te *transport.Error
		if !errors.As(err, &te) {
			return false
		}
		if code != 0 && te.StatusCode == code {
			return true
		}
		for _, d := range te.Errors {
			for _, c := range codes {
				if d.Code == c {
					return true
				}
			}
		}
		return false
	}
}

// deniedSaying matches a DENIED error whose message has one of words.
func deniedSaying(words ...string) func(error) bool {
	return func(err error) bool {
		var te *transport.Error
		if !errors.As(err, &te) {
			return false
		}
		for _, d := range te.Errors {
			if d.Code != transport.DeniedErrorCode {
				continue
			}
			msg := strings.ToLower(d.Message + " " + fmt.Sprint(d.Detail))
			for _, w := range words {
				if strings.Contains(msg, w) {
					return true
				}
			}
		}
		return false
	}
}

func either(a, b func(error) bool) func(error) bool {
	return func(err error) bool { return a(err) || b(err) }
}

func isTLS(err error) bool {
	var (
		ua  x509.UnknownAuthorityError
		ci  x509.CertificateInvalidError
		hn  x509.HostnameError
		cv  *tls.CertificateVerificationError
		rec tls.RecordHeaderError
	)
	return errors.As(err, &ua) || errors.As(err, &ci) || errors.As(err, &hn) || errors.As(err, &cv) || errors.As(err, &rec) ||
		strings.Contains(err.Error(), "x509: ") || strings.Contains(err.Error(), "tls: ")
}

// failure turns a push error into the classified error of kind push.
func failure(registry, ref string, err error) *builder.Error {
	if errors.Is(err, context.Canceled) {
		return &builder.Error{Kind: builder.KindCancelled, Message: fmt.Sprintf("push to %s cancelled", ref), Err: err}
	}
	v, _ := classify(err)
	msg := fmt.Sprintf("push to %s failed: %s (%s)", registry, v.cause, said(err))
	if v.cause == "" {
		msg = fmt.Sprintf("push to %s failed: %s", registry, said(err))
		v.hint = "Run `nixpass push` again; `nixpass logs` shows the push's log lines."
	}
	return &builder.Error{Kind: builder.KindPush, Message: msg, Hint: strings.ReplaceAll(v.hint, "{host}", registry), Err: err}
}

// said is what the registry or the network said, in words a person
// reads: a registry's answer as its HTTP status and its messages, without
// the scope maps go-containerregistry prints after them
// ("[map[Action:pull …]]"); any other error as it is.
func said(err error) string {
	var te *transport.Error
	if !errors.As(err, &te) {
		return err.Error()
	}
	var msgs []string
	for _, d := range te.Errors {
		m := strings.TrimSpace(d.Message)
		if m == "" {
			m = strings.ToLower(strings.ReplaceAll(string(d.Code), "_", " "))
		}
		if m != "" && !slices.Contains(msgs, m) {
			msgs = append(msgs, m)
		}
	}
	answer := "the registry answered"
	if te.StatusCode != 0 {
		answer += fmt.Sprintf(" %d %s", te.StatusCode, http.StatusText(te.StatusCode))
	}
	if len(msgs) == 0 {
		return answer
	}
	return answer + ": " + strings.Join(msgs, "; ")
}
