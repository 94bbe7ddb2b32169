package notify

import "github.com/gen2brain/beeep"

// Beeep sends notifications through Notification Center with beeep.
type Beeep struct{}

// Send implements Sender.
func (Beeep) Send(title, body string) error { return beeep.Notify(title, body, "") }

// Default is the platform's sender.
func Default() Sender { return Beeep{} }
