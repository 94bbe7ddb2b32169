package notify

import (
	"fmt"

	"github.com/godbus/dbus/v5"
)

// DBus sends notifications over org.freedesktop.Notifications on a
// private session-bus connection, never the shared one the tray uses, so
// closing it cannot disturb the tray.
type DBus struct{}

// Send implements Sender.
func (DBus) Send(title, body string) error {
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	defer conn.Close()
	obj := conn.Object("org.freedesktop.Notifications", "/org/freedesktop/Notifications")
	call := obj.Call("org.freedesktop.Notifications.Notify", 0,
		"nixpass", uint32(0), "", title, body, []string{}, map[string]dbus.Variant{}, int32(-1))
	if call.Err != nil {
		return fmt.Errorf("notify: %w", call.Err)
	}
	return nil
}

// Default is the platform's sender.
func Default() Sender { return DBus{} }
