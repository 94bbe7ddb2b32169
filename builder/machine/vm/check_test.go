package vm

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"nixpass/builder"
	"nixpass/builder/machine/local"
)

// setupCases break Nix's set-up the ways a real machine does, through
// the environment and options every Nix since 2.8 honours.
var setupCases = []struct {
	name          string
	env           map[string]string
	message, hint string
}{
	{"no daemon", map[string]string{"NIX_REMOTE": "daemon", "NIX_DAEMON_SOCKET_PATH": "/nonexistent/nixpass/socket"}, "nix-daemon is not running", "systemctl start nix-daemon"},
	{"no build users", map[string]string{"NIX_CONFIG": "build-users-group = nixpass-no-such-group\nsubstituters =\n"}, "build-users-group", ""},
}

func needNixBuild(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("nix-instantiate"); err != nil {
		t.Fatal("nix-instantiate is not installed: sudo apt-get install nix-bin (or sudo .ci/setup)")
	}
}

// TestLocalCheckIsARoundTrip: Prepare and Status see a Nix that cannot
// use its store, which `nix-build --version` never did.
func TestLocalCheckIsARoundTrip(t *testing.T) {
	needNixBuild(t)
	l := &local.Machine{ScriptDir: t.TempDir()}
	if _, err := l.Prepare(context.Background(), t.TempDir(), nil); err != nil {
		t.Fatalf("a working Nix: %v", err)
	}
	for _, tt := range setupCases {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			// The set-up check runs once per process (per machine): a
			// machine of this case's own, as a new nixpass would have.
			l := &local.Machine{ScriptDir: t.TempDir()}
			_, err := l.Prepare(context.Background(), t.TempDir(), nil)
			be, _ := err.(*builder.Error)
			hint := tt.hint
			if hint == "" {
				hint = "nix-setup-systemd"
			}
			if be == nil || be.Kind != builder.KindUnavailable || !strings.Contains(be.Message, tt.message) || !strings.Contains(be.Hint, hint) {
				t.Fatalf("Prepare = %#v, want unavailable %q / %q", err, tt.message, hint)
			}
			st := l.Status(context.Background())
			if st.State != builder.BuilderUnavailable || !strings.Contains(st.Problem, tt.message) {
				t.Errorf("Status = %+v", st)
			}
		})
	}
}

// TestVMStatusChecksNix: a running VM whose Nix cannot use its store is
// reported unavailable with the VM's remedy (the fake's exec runs the
// real script with this host's Nix).
func TestVMStatusChecksNix(t *testing.T) {
	needNixBuild(t)
	for _, tt := range setupCases {
		t.Run(tt.name, func(t *testing.T) {
			var env []string
			for k, v := range tt.env {
				env = append(env, k+"="+v)
			}
			w := newVMWorld(t, env, vmInstance)
			if err := w.vm.installScript(context.Background()); err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			st := w.vm.Status(context.Background())
			if st.State != builder.BuilderUnavailable || !strings.Contains(st.Problem, tt.message) || !strings.Contains(st.Hint, "nixpass vm create") {
				t.Errorf("Status = %+v, want unavailable %q with the recreate hint", st, tt.message)
			}
			_, err := w.vm.Prepare(context.Background(), filepath.Dir(w.vm.GuestScriptDir), nil)
			if builder.KindOf(err) != builder.KindUnavailable || !strings.Contains(err.Error(), tt.message) {
				t.Errorf("Prepare = %v", err)
			}
		})
	}
}
