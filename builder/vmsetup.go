package builder

import "context"

// Setup brings an existing VM's configuration up to what nixpass's config
// says, for `nixpass vm setup` (a new VM gets it from Create): it starts
// the VM if needed and applies each step. Every step is idempotent.
func (v *VM) Setup(ctx context.Context, progress func(string)) error {
	if progress == nil {
		progress = func(string) {}
	}
	if _, err := v.running(ctx, progress); err != nil {
		return err
	}
	if err := v.ensureScript(ctx, progress); err != nil {
		return err
	}
	return v.setupRemoteBuilders(ctx, progress)
}
