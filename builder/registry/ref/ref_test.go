package ref

import (
	"strings"
	"testing"
)

func TestParseRef(t *testing.T) {
	cases := []struct {
		in, want, err string
	}{
		{"docker.io/user/app", "docker.io/user/app", ""},
		{"docker.io/user/app:v1", "docker.io/user/app:v1", ""},
		{"localhost:5000/app", "localhost:5000/app", ""},
		{"ghcr.io/org/team/app:1.0", "ghcr.io/org/team/app:1.0", ""},
		{"user/app", "", "has no registry"},
		{"app", "", "has no registry"},
		{"docker.io/user/app@sha256:" + strings.Repeat("a", 64), "", "names a digest"},
		{"https://ghcr.io/a/b", "", "is a URL"},
		{"docker.io/User/App", "", "not a valid image reference"},
		{"docker.io/user/app:", "", "no tag"},
		{"", "", "is empty"},
	}
	for _, tc := range cases {
		r, err := Parse(tc.in)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("Parse(%q) err = %v, want %q", tc.in, err, tc.err)
		case tc.err == "" && (err != nil || r.String() != tc.want):
			t.Errorf("Parse(%q) = %q, %v; want %q", tc.in, r, err, tc.want)
		}
	}
}
