package local

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"nixpass/builder"
	"nixpass/builder/machine"
	"nixpass/builder/tools"
)

var _ machine.Prober = (*Machine)(nil)

// storeDB is the local store's database folder: root builds there
// directly when it is writable.
const storeDB = "/nix/var/nix/db"

// Probe implements machine.Prober: Nix is installed, and its store is
// reachable the way this user's builds reach it: nix-daemon answers on
// its socket (a connect, no protocol), or, without a daemon, the store's
// database folder is there. It runs no process.
func (l *Machine) Probe(ctx context.Context) builder.BuilderStatus {
	st := builder.BuilderStatus{Backend: "local", Name: "this machine", State: builder.BuilderRunning, Memory: hostMemory(), CPUs: hostCPUs()}
	fail := func(problem, hint string) builder.BuilderStatus {
		st.State, st.Problem, st.Hint = builder.BuilderUnavailable, problem, hint
		return st
	}
	if _, err := tools.Default().Find("nix-build"); err != nil {
		return fail("Nix is not installed on this machine", localNixHint)
	}
	if !l.viaDaemon() {
		if _, err := os.Stat(storeDB); err != nil {
			return fail("the Nix store is not reachable: "+err.Error(), localNixHint)
		}
		return st
	}
	sock := daemonSocket
	if r := os.Getenv("NIX_REMOTE"); strings.HasPrefix(r, "unix://") {
		sock = strings.TrimPrefix(r, "unix://")
	} else if s := os.Getenv("NIX_DAEMON_SOCKET_PATH"); s != "" {
		sock = s
	}
	d := net.Dialer{Timeout: 2 * time.Second}
	c, err := d.DialContext(ctx, "unix", sock)
	if err != nil {
		return fail(fmt.Sprintf("nix-daemon does not answer on %s: %v", sock, err),
			"start it: sudo systemctl start nix-daemon (or nix-daemon.socket), and check that you are in the nix-users group")
	}
	c.Close()
	return st
}
