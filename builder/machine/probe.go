package machine

import (
	"context"

	"nixpass/builder"
)

// Prober is a Machine with a cheap check of its state for periodic
// refreshes (the app's): it starts no Nix, makes no store round trip,
// and spawns no process where it can avoid it. Status stays the full
// check.
type Prober interface {
	Probe(ctx context.Context) builder.BuilderStatus
}
