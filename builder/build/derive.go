package build

import (
	"context"

	"nixpass/builder"
	"nixpass/builder/machine"
)

// Derivation says which derivations p evaluates to now, read-only, on the
// builder machine (machine.Deriver); ok is false when the machine cannot
// say. A build of p that finds p being built already asks it, and only
// then, to join that build when it builds the same (the no-op budget:
// nothing more is evaluated when nothing runs).
func (b *Builder) Derivation(ctx context.Context, p builder.Project) (string, bool) {
	d, ok := b.Machine.(machine.Deriver)
	if !ok {
		return "", false
	}
	return d.Derivation(ctx, p)
}
