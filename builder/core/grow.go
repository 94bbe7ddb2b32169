package core

import (
	"context"
	"errors"
	"fmt"

	"nixpass/builder/config"
)

// RebuildWithMemory is the menu's "Rebuild NAME with N GB", offered after
// NAME's build ran out of memory at one job without [vm] auto_grow: it
// waits for a running build, the uploads and vm builder sessions (as
// every resize does, saying so in NAME's progress), grows the VM's
// memory to memory bytes (stop, set, start), writes the size to [vm]
// memory, and queues NAME's build.
func (a *App) RebuildWithMemory(ctx context.Context, dir string, memory int64) error {
	if a.env.VM == nil {
		return errNoVM
	}
	if memory <= 0 {
		return errors.New("no memory size to grow the VM to")
	}
	release, err := a.env.HoldVM(ctx, a.phaseSay(dir))
	if err != nil {
		return fmt.Errorf("grow the builder VM: %w", err)
	}
	err = a.env.VM.GrowMemory(ctx, memory, nil)
	release()
	defer a.updateStatus(ctx)
	if err != nil {
		return err
	}
	if err := config.SetVMMemory(a.env.Path, config.Size(memory)); err != nil {
		return err
	}
	return a.Build(dir)
}
