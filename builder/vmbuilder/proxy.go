package vmbuilder

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"nixpass/builder/shq"
	"nixpass/builder/vmusers"
)

// A session of plain Nix on the VM is an ssh connection to the alias.
// nixpass's ssh config routes it through `nixpass vm proxy` (ProxyCommand),
// which relays the connection and keeps a lease on the VM users' record
// for exactly as long as the connection lasts: vm stop, vm resize, memory
// growth and idle stops then wait for (or postpone behind) the session,
// even though it runs in another process, perhaps as root under the
// nix-daemon.

// Registrar records a user of the VM (vmusers.Record).
type Registrar interface {
	// Register records what as a user of the VM; done ends the record.
	Register(what string) (done func())
}

// Proxy relays one ssh connection between in/out (ssh's ProxyCommand
// pipes) and addr, holding a session lease on users until either side
// closes or ctx ends.
func Proxy(ctx context.Context, users Registrar, addr string, in io.Reader, out io.Writer) error {
	done := users.Register(vmusers.SessionWhat)
	defer done()
	d := net.Dialer{Timeout: 15 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("vm builder session: %w", err)
	}
	defer conn.Close()
	toVM, fromVM := make(chan error, 1), make(chan error, 1)
	go func() {
		_, err := io.Copy(conn, in)
		// ssh closed its side: let the VM see the end of input.
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
		toVM <- err
	}()
	go func() {
		_, err := io.Copy(out, conn)
		fromVM <- err
	}()
	var end error
	select {
	case <-ctx.Done():
		return ctx.Err()
	case end = <-fromVM:
		// The VM closed the connection: the session is over (ssh sees
		// the end of our output when this process exits).
	case end = <-toVM:
		// ssh is done sending: the session ends when the VM closes.
		select {
		case err := <-fromVM:
			end = errors.Join(end, err)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if end != nil && !isClosed(end) {
		return fmt.Errorf("vm builder session: %w", end)
	}
	return nil
}

// isClosed is an end of the connection that is no failure of the session.
func isClosed(err error) bool {
	return errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET)
}

// proxyCommand is the ssh config's ProxyCommand line for argv (the
// proxy's program and arguments, before the host and port): each word
// quoted for the shell ssh runs it with, and '%' doubled for ssh's own
// tokens.
func proxyCommand(argv []string) string {
	return strings.ReplaceAll(shq.Join(argv...), "%", "%%") + " %h %p"
}
