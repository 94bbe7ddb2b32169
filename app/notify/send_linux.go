package notify

import (
	"fmt"
	"strings"
	"sync"

	"github.com/godbus/dbus/v5"

	"nixpass/builder/config"
)

const (
	notifyName  = "org.freedesktop.Notifications"
	notifyPath  = dbus.ObjectPath("/org/freedesktop/Notifications")
	notifyIface = "org.freedesktop.Notifications"
)

// DBus sends notifications over org.freedesktop.Notifications on one
// long-lived private session-bus connection (never the shared one the
// tray uses, so closing it cannot disturb the tray). It reads the
// server's capabilities once per server, keeps each group's last id and
// sends it as replaces_id (so a project's notifications replace each
// other instead of piling up; the ids are forgotten when the server
// restarts), offers "Show log" and "Build again" when the server lists
// actions, and escapes markup when it lists body-markup.
type DBus struct {
	// Addr is the bus to use; "" is the session bus.
	Addr string
	// Icon is the app icon's path; "" writes it to the state folder.
	Icon string

	mu      sync.Mutex
	conn    *dbus.Conn
	caps    map[string]bool
	ids     map[string]uint32 // group -> the server's id of its last one
	project map[uint32]string // id -> project folder, for actions
	handler func(project, action string)
}

var _ GroupSender = (*DBus)(nil)

// Send implements Sender.
func (d *DBus) Send(title, body string) error {
	return d.SendMessage(Message{Title: title, Body: body})
}

// SendGroup implements GroupSender.
func (d *DBus) SendGroup(group, title, body string) error {
	return d.SendMessage(Message{Title: title, Body: body, Group: group})
}

// OnAction sets what a click on "Show log" ("log") or "Build again"
// ("build") does; project is the message's folder.
func (d *DBus) OnAction(f func(project, action string)) {
	d.mu.Lock()
	d.handler = f
	d.mu.Unlock()
}

// connect opens the connection and listens for the server's signals.
// Called with d.mu held.
func (d *DBus) connect() error {
	if d.conn != nil {
		return nil
	}
	var conn *dbus.Conn
	var err error
	if d.Addr != "" {
		conn, err = dbus.Dial(d.Addr)
	} else {
		conn, err = dbus.SessionBusPrivate()
	}
	if err != nil {
		return err
	}
	if err = conn.Auth(nil); err == nil {
		err = conn.Hello()
	}
	if err == nil {
		err = conn.AddMatchSignal(dbus.WithMatchInterface(notifyIface), dbus.WithMatchMember("ActionInvoked"))
	}
	if err == nil {
		err = conn.AddMatchSignal(dbus.WithMatchSender("org.freedesktop.DBus"), dbus.WithMatchMember("NameOwnerChanged"), dbus.WithMatchArg(0, notifyName))
	}
	if err != nil {
		conn.Close()
		return err
	}
	ch := make(chan *dbus.Signal, 16)
	conn.Signal(ch)
	go d.signals(ch)
	d.conn, d.caps, d.ids, d.project = conn, nil, map[string]uint32{}, map[uint32]string{}
	return nil
}

// signals handles ActionInvoked and a server restart until the
// connection closes.
func (d *DBus) signals(ch <-chan *dbus.Signal) {
	for s := range ch {
		switch s.Name {
		case "org.freedesktop.DBus.NameOwnerChanged":
			// A new server knows none of the old ids, nor has its
			// capabilities been read.
			d.mu.Lock()
			d.caps, d.ids, d.project = nil, map[string]uint32{}, map[uint32]string{}
			d.mu.Unlock()
		case notifyIface + ".ActionInvoked":
			var id uint32
			var key string
			if dbus.Store(s.Body, &id, &key) != nil {
				continue
			}
			d.mu.Lock()
			proj, h := d.project[id], d.handler
			d.mu.Unlock()
			if proj != "" && h != nil {
				go h(proj, key)
			}
		}
	}
}

// capabilities reads the server's capabilities once. Called with d.mu held.
func (d *DBus) capabilities() map[string]bool {
	if d.caps != nil {
		return d.caps
	}
	var list []string
	d.caps = map[string]bool{}
	if err := d.conn.Object(notifyName, notifyPath).Call(notifyIface+".GetCapabilities", 0).Store(&list); err == nil {
		for _, c := range list {
			d.caps[c] = true
		}
	}
	return d.caps
}

// markup escapes what body-markup would read as markup.
var markup = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// SendMessage shows m, replacing the group's last notification.
func (d *DBus) SendMessage(m Message) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	var err error
	for try := 0; try < 2; try++ {
		if err = d.connect(); err != nil {
			return fmt.Errorf("notify: %w", err)
		}
		if err = d.send(m); err == nil {
			return nil
		}
		// The bus or the server went away: reconnect once.
		d.conn.Close()
		d.conn = nil
	}
	return fmt.Errorf("notify: %w", err)
}

// send makes the Notify call. Called with d.mu held and connected.
func (d *DBus) send(m Message) error {
	caps := d.capabilities()
	body := m.Body
	if caps["body-markup"] {
		body = markup.Replace(body)
	}
	actions := []string{}
	if caps["actions"] && m.Project != "" {
		// No "default" action: xfce4-notifyd shows it as a third button.
		actions = []string{"log", "Show log", "build", "Build again"}
	}
	urgency := byte(1)
	if m.Urgent {
		urgency = 2
	}
	hints := map[string]dbus.Variant{"urgency": dbus.MakeVariant(urgency), "desktop-entry": dbus.MakeVariant("nixpass")}
	if d.Icon == "" {
		if dir, err := config.StateDir(); err == nil {
			d.Icon, _ = WriteIcon(dir)
		}
	}
	var id uint32
	call := d.conn.Object(notifyName, notifyPath).Call(notifyIface+".Notify", 0,
		"nixpass", d.ids[m.Group], d.Icon, m.Title, body, actions, hints, int32(-1))
	if err := call.Store(&id); err != nil {
		return err
	}
	if m.Group != "" {
		d.ids[m.Group] = id
	}
	if m.Project != "" {
		d.project[id] = m.Project
	}
	return nil
}

// Default is the platform's sender.
func Default() Sender { return &DBus{} }
