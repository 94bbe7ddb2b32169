package builder

import (
	"regexp"
	"strings"
)

// reURLPassword is the password part of a URL's user info:
// "scheme://user:PASSWORD@host".
var reURLPassword = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://[^/@\s:'"]*):[^/@\s'"]*@`)

// maskURLPassword hides the password (a token) of every URL in s, keeping
// the user name: Nix quotes a substituter's full URL in its "unable to
// download" lines, and nixpass keeps them in its log and shows them. A
// user@host without a password (a builder line) is left as it is.
func maskURLPassword(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	return reURLPassword.ReplaceAllString(s, "${1}:***@")
}
