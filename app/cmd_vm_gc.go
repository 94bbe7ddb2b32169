package main

import (
	"context"
	"fmt"

	"nixpass/builder"
	"nixpass/builder/core"
)

// gcReport is `nixpass vm gc --json`: what the collection freed and what
// is free after it, in bytes; collected is false on the local backend,
// where nixpass never collects.
type gcReport struct {
	Collected bool   `json:"collected"`
	Freed     int64  `json:"freed"`
	Free      int64  `json:"free"`
	Hint      string `json:"hint,omitempty"`
}

// vmGC collects garbage in the VM's store by hand, keeping every
// registered project's last output, and prints the bytes freed.
func (c *cli) vmGC(ctx context.Context, e *core.Env, asJSON bool, progress func(string)) int {
	drops := e.Store.PendingDrops()
	res, err := e.VM.GC(ctx, drops, progress)
	if err != nil {
		return c.fail(err)
	}
	e.Store.DropsDone(drops)
	if asJSON {
		c.printJSON(gcReport{Collected: true, Freed: res.Freed, Free: res.Free})
		return 0
	}
	fmt.Fprintf(c.stdout, "builder VM %q: freed %s (%d bytes); %s free\n", e.VM.Name, builder.HumanBytes(res.Freed), res.Freed, builder.HumanBytes(res.Free))
	return 0
}

// localGC is `nixpass vm gc` on the local backend: this machine's store is
// the user's, and nixpass never collects it; it says how much is free and
// what to run.
func (c *cli) localGC(asJSON bool) int {
	free, _ := core.LocalStoreFree()
	hint := "nixpass never collects this machine's Nix store: run nix-collect-garbage (your projects' last images are garbage-collector roots and stay), or nix-collect-garbage -d to drop old profile generations too"
	if asJSON {
		c.printJSON(gcReport{Free: free, Hint: hint})
		return 0
	}
	if free > 0 {
		fmt.Fprintf(c.stdout, "%s free on the Nix store's disk (/nix/store)\n", builder.HumanBytes(free))
	}
	fmt.Fprintln(c.stdout, hint)
	return 0
}
