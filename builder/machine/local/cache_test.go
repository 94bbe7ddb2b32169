package local

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"nixpass/builder/cache"
	"nixpass/builder/machine"
	"nixpass/builder/runner"
)

// nixConfRunner answers `nix show-config` with conf, counting the reads,
// and succeeds at everything else (the script's check).
type nixConfRunner struct {
	conf  string
	reads atomic.Int64
}

func (n *nixConfRunner) Run(ctx context.Context, c runner.Cmd) (*runner.Result, error) {
	if c.Name == "nix" && slices.Contains(c.Args, "show-config") {
		n.reads.Add(1)
		c.Stdout.Write([]byte(n.conf))
	}
	return &runner.Result{}, nil
}

func names(s []machine.Setting) []string {
	var out []string
	for _, x := range s {
		out = append(out, x.Name+" = "+x.Value)
	}
	return out
}

// TestLocalTeamCachePull: [cache]'s pull reaches the build's NIX_CONFIG
// settings when the cache answers; a cache that is down is said once in
// the progress line and left out of that build; a user nix-daemon does
// not trust gets the warning (Nix's configuration read once per process)
// and only the settings the daemon takes from anyone.
func TestLocalTeamCachePull(t *testing.T) {
	dir := t.TempDir()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/nix-cache-info" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("StoreDir: /nix/store\n"))
	}))
	defer srv.Close()
	k, _ := cache.NewKeyPair("team-1")
	const trusted = "trusted-users = *\n"

	tests := []struct {
		name      string
		url       string
		conf      string
		daemon    bool
		wantSaid  bool // the progress line says the cache is down
		wantSubst bool
		wantWarn  bool
	}{
		{"cache answers", srv.URL, trusted, true, false, true, false},
		{"cache down", "http://127.0.0.1:1", trusted, true, true, false, false},
		{"untrusted user", srv.URL, "trusted-users = nobody-else\n", true, false, false, true},
		{"root's own store", srv.URL, "trusted-users = nobody-else\n", false, false, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.daemon {
				t.Setenv("NIX_REMOTE", "daemon")
			} else {
				t.Setenv("NIX_REMOTE", "local")
			}
			run := &nixConfRunner{conf: tt.conf}
			l := &Machine{ScriptDir: filepath.Join(dir, tt.name), Runner: run, Cache: cache.Pull{URL: tt.url, PublicKey: k.Public}}
			for range 2 {
				var said []string
				if _, err := l.Prepare(context.Background(), dir, func(s string) { said = append(said, s) }); err != nil {
					t.Fatal(err)
				}
				down := len(said) == 1 && strings.Contains(said[0], "does not answer")
				if down != tt.wantSaid || len(said) > 1 {
					t.Errorf("progress %q, want the cache said down: %v (once)", said, tt.wantSaid)
				}
				opts := names(l.NixOptions())
				subst := slices.Contains(opts, "extra-substituters = "+tt.url) && slices.Contains(opts, "extra-trusted-public-keys = "+k.Public) &&
					slices.Contains(opts, "narinfo-cache-negative-ttl = 0")
				if subst != tt.wantSubst {
					t.Errorf("NixOptions = %q, want the cache's settings: %v", opts, tt.wantSubst)
				}
				w := l.PrepareWarning()
				if (w != "") != tt.wantWarn || tt.wantWarn && !strings.Contains(w, "extra-substituters = "+tt.url) {
					t.Errorf("PrepareWarning = %q, want a warning naming the nix.conf line: %v", w, tt.wantWarn)
				}
			}
			if n := run.reads.Load(); n > 1 {
				t.Errorf("Nix's configuration read %d times in one process, want at most once", n)
			}
		})
	}
}
