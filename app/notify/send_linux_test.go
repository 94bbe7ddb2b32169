package notify

import (
	"bufio"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// server is a notification server on a private bus recording every
// Notify argument.
type server struct {
	caps []string
	mu   sync.Mutex
	got  []call
	next uint32
}

type call struct {
	app           string
	replaces      uint32
	icon          string
	summary, body string
	actions       []string
	hints         map[string]dbus.Variant
	id            uint32
}

func (s *server) Notify(app string, replaces uint32, icon, summary, body string, actions []string, hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := replaces
	if id == 0 {
		s.next++
		id = s.next
	}
	s.got = append(s.got, call{app, replaces, icon, summary, body, actions, hints, id})
	return id, nil
}

func (s *server) GetCapabilities() ([]string, *dbus.Error) { return s.caps, nil }

func (s *server) calls() []call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]call(nil), s.got...)
}

func startBus(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("dbus-daemon"); err != nil {
		t.Skip("dbus-daemon missing: apt-get install dbus")
	}
	cmd := exec.Command("dbus-daemon", "--session", "--nofork", "--print-address=1", "--address=unix:path="+filepath.Join(t.TempDir(), "bus"))
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(addr)
}

// serve starts a server owning org.freedesktop.Notifications; its
// connection closes at the end of the test, or with the returned func.
func serve(t *testing.T, addr string, caps ...string) (*server, *dbus.Conn) {
	t.Helper()
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	s := &server{caps: caps}
	if err := conn.Export(s, notifyPath, notifyIface); err != nil {
		t.Fatal(err)
	}
	if r, err := conn.RequestName(notifyName, dbus.NameFlagDoNotQueue); err != nil || r != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("own %s: %v %v", notifyName, r, err)
	}
	return s, conn
}

func TestDBusSender(t *testing.T) {
	for _, tc := range []struct {
		name            string
		caps            []string
		actions, escape bool
	}{
		{"plain server", []string{"body"}, false, false},
		{"actions and markup", []string{"body", "actions", "body-markup"}, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := startBus(t)
			srv, srvConn := serve(t, addr, tc.caps...)
			d := &DBus{Addr: addr, Icon: "/icons/nixpass.png"}
			clicked := make(chan [2]string, 4)
			d.OnAction(func(p, a string) { clicked <- [2]string{p, a} })
			fail := Message{Title: "nixpass · api: build failed", Body: "a < b && c > d\nShow log", Group: "/p/api", Project: "/p/api"}
			for _, m := range []Message{fail, fail, {Title: "nixpass · web: built", Body: "x", Group: "/p/web", Project: "/p/web"},
				{Title: "nixpass · builder unavailable", Body: "y", Group: "builder", Urgent: true}} {
				if err := Deliver(d, m); err != nil {
					t.Fatal(err)
				}
			}
			got := srv.calls()
			if len(got) != 4 {
				t.Fatalf("%d Notify calls, want 4", len(got))
			}
			if got[0].app != "nixpass" || got[0].icon != "/icons/nixpass.png" || got[0].replaces != 0 {
				t.Errorf("first: app %q icon %q replaces %d", got[0].app, got[0].icon, got[0].replaces)
			}
			if got[1].replaces != got[0].id || got[2].replaces != 0 {
				t.Errorf("replaces_id %d, %d: want the project's last id (%d), then 0 for another project", got[1].replaces, got[2].replaces, got[0].id)
			}
			wantBody := fail.Body
			if tc.escape {
				wantBody = "a &lt; b &amp;&amp; c &gt; d\nShow log"
			}
			if got[0].body != wantBody {
				t.Errorf("body %q, want %q", got[0].body, wantBody)
			}
			if has := len(got[0].actions) > 0; has != tc.actions || (has && !strings.Contains(strings.Join(got[0].actions, "|"), "log|Show log|build|Build again")) {
				t.Errorf("actions %q, want them %v", got[0].actions, tc.actions)
			}
			if len(got[3].actions) != 0 {
				t.Errorf("builder message has actions %q", got[3].actions)
			}
			for i, want := range []byte{1, 1, 1, 2} {
				if u, _ := got[i].hints["urgency"].Value().(byte); u != want {
					t.Errorf("call %d urgency %d, want %d", i, u, want)
				}
			}
			if tc.actions {
				if err := srvConn.Emit(notifyPath, notifyIface+".ActionInvoked", got[1].id, "build"); err != nil {
					t.Fatal(err)
				}
				select {
				case c := <-clicked:
					if c != [2]string{"/p/api", "build"} {
						t.Errorf("action %q, want /p/api build", c)
					}
				case <-time.After(5 * time.Second):
					t.Error("ActionInvoked did not reach the handler")
				}
			}
			// The server restarts: the old ids mean nothing to the new one.
			srvConn.Close()
			srv2, _ := serve(t, addr, tc.caps...)
			deadline := time.Now().Add(5 * time.Second)
			for {
				if err := Deliver(d, fail); err != nil {
					t.Fatal(err)
				}
				c := srv2.calls()
				if c[len(c)-1].replaces == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("after a server restart replaces_id is still %d", c[len(c)-1].replaces)
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}
