package vm

import "context"

// Setup brings an existing VM up to what a new one gets from its
// cloud-init and nixpass's config, without recreating it, for `nixpass vm
// setup`: it starts the VM if needed and applies each step, emulation of
// the other Linux system, then the remote builders and caches. Every step
// is idempotent and its own function.
func (v *Machine) Setup(ctx context.Context, progress func(string)) error {
	if progress == nil {
		progress = func(string) {}
	}
	if _, err := v.running(ctx, progress); err != nil {
		return err
	}
	if err := v.ensureScript(ctx, progress); err != nil {
		return err
	}
	if err := v.setupEmulation(ctx, progress, emulatedSystems...); err != nil {
		return err
	}
	return v.setupRemoteBuilders(ctx, progress)
}
