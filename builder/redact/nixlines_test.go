package redact

import "testing"

// TestNixLines covers the lines Nix itself prints with a substituter's or
// a builder's URL in them: a token is masked, a builder's user@host stays.
func TestNixLines(t *testing.T) {
	tests := []struct{ in, want string }{
		{"warning: unable to download 'http://ci:tok3n@127.0.0.1:9/nix-cache-info': Couldn't connect",
			"warning: unable to download 'http://***@127.0.0.1:9/nix-cache-info': Couldn't connect"},
		{"https://oauth2:ghp_x@github.com/a/b and s3://k:s@bucket", "https://***@github.com/a/b and s3://***@bucket"},
		{"ssh://builder@host.example /root/.ssh/id", "ssh://builder@host.example /root/.ssh/id"},
		{"building '/nix/store/x.drv' on 'ssh://nix@remote'", "building '/nix/store/x.drv' on 'ssh://nix@remote'"},
		{"no url here: a@b", "no url here: a@b"},
	}
	for _, tt := range tests {
		if got := URLs(tt.in); got != tt.want {
			t.Errorf("URLs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
