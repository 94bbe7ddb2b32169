package local

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"nixpass/builder"
)

// The cheap probe says whether nix-daemon answers on its socket, without
// running anything.
func TestProbeDaemonSocket(t *testing.T) {
	dir := t.TempDir()
	live := filepath.Join(dir, "live.sock")
	ln, err := net.Listen("unix", live)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	tests := []struct {
		sock    string
		state   builder.BuilderState
		problem string
	}{
		{live, builder.BuilderRunning, ""},
		{filepath.Join(dir, "gone.sock"), builder.BuilderUnavailable, "nix-daemon does not answer on " + filepath.Join(dir, "gone.sock")},
	}
	for _, tt := range tests {
		t.Setenv("NIX_REMOTE", "daemon")
		t.Setenv("NIX_DAEMON_SOCKET_PATH", tt.sock)
		st := (&Machine{}).Probe(context.Background())
		if st.State != tt.state || !strings.Contains(st.Problem, tt.problem) || (tt.problem == "" && st.Problem != "") {
			t.Errorf("socket %s: got %s %q, want %s %q", tt.sock, st.State, st.Problem, tt.state, tt.problem)
		}
	}
}
