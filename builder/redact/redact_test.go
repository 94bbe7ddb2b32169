package redact

import (
	"strings"
	"testing"
)

func TestURLs(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://cache.example.org", "https://cache.example.org"},
		{"https://user:s3cret@cache.example.org/x", "https://***@cache.example.org/x"},
		{"git+https://oauth2:TOKEN@gitlab.com/a/b.git?ref=main", "git+https://***@gitlab.com/a/b.git?ref=main"},
		{"https://ghp_TOKEN@github.com/o/r", "https://***@github.com/o/r"},
		{"error: unable to download 'https://u:p@h.example/nix-cache-info': HTTP error 401", "error: unable to download 'https://***@h.example/nix-cache-info': HTTP error 401"},
		{"substituters = https://a:b@one https://two https://c:d@three:8443", "substituters = https://***@one https://two https://***@three:8443"},
		{"p@ss in https://x:p@ss@host/", "p@ss in https://***@host/"},
		{"ssh://nix@builder x86_64-linux /root/.ssh/id - 4", "ssh://nix@builder x86_64-linux /root/.ssh/id - 4"},
		{"ssh-ng://nix@[::1]:2222", "ssh-ng://nix@[::1]:2222"},
		{"ssh://nix:pw@builder", "ssh://***@builder"},
		{"mail me@example.org", "mail me@example.org"},
		{"s3://bucket?endpoint=x@y", "s3://bucket?endpoint=x@y"},
		{"https://a:b@host", "https://***@host"},
		{"(https://a:b@host)", "(https://***@host)"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := URLs(tt.in); got != tt.want {
			t.Errorf("URLs(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := URLs(URLs(tt.in)); got != tt.want {
			t.Errorf("URLs twice (%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got, want := HasUserInfo(tt.in), tt.in != tt.want; got != want {
			t.Errorf("HasUserInfo(%q) = %v, want %v", tt.in, got, want)
		}
	}
}

func FuzzURLs(f *testing.F) {
	f.Add("https://user:TOKEN@host/x")
	f.Add("a://@b://c:TOKEN@d")
	f.Fuzz(func(t *testing.T, s string) {
		out := URLs(s)
		if URLs(out) != out {
			t.Errorf("URLs is not idempotent on %q: %q", s, out)
		}
		if !strings.Contains(s, "@") && out != s {
			t.Errorf("URLs changed %q, which has no user info, to %q", s, out)
		}
	})
}

func BenchmarkURLsPlainLine(b *testing.B) {
	line := "building '/nix/store/abc-image.drv'... copying path '/nix/store/xyz' from 'https://cache.nixos.org'"
	for b.Loop() {
		_ = URLs(line)
	}
}
