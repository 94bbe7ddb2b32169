package vm

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"strconv"
	"strings"

	"nixpass/builder"
	"nixpass/builder/machine"
	"nixpass/builder/multipass"
)

// Free space in the VM (issue 18, item 3): Nix's own min-free and max-free
// in the managed nix.conf collect garbage while a build runs; the build
// script collects before a build when less than min-free is free (inside
// the build's own exec); the projects' last outputs are roots in the VM's
// state folder, so a collection never makes an up-to-date project rebuild.

var (
	_ machine.FreeSpaceKeeper = (*Machine)(nil)
	_ machine.RootDirer       = (*Machine)(nil)
	_ machine.MemoryGrower    = (*Machine)(nil)
)

// MemoryRoom implements machine.MemoryGrower.
func (v *Machine) MemoryRoom() (memory, maxMemory int64, auto bool) {
	return v.Spec.Memory, v.MaxMemory, v.AutoGrow
}

// GrowMemory implements machine.MemoryGrower with exactly three Multipass
// calls: stop, set local.NAME.memory, start (the VM was running: a build
// just ran out of memory in it).
func (v *Machine) GrowMemory(ctx context.Context, bytes int64, progress func(string)) error {
	if progress == nil {
		progress = func(string) {}
	}
	progress(fmt.Sprintf("stopping %q to give it %s of memory", v.Name, builder.HumanGiB(bytes)))
	if err := v.Stop(ctx); err != nil {
		return err
	}
	if err := v.Client.Set(ctx, "local."+v.Name+".memory", sizeArg(bytes)); err != nil {
		// Started again as it was, so the next build finds it running.
		_ = v.Client.Start(context.WithoutCancel(ctx), v.Name)
		return v.unavailable("set the builder VM's memory", err)
	}
	progress(fmt.Sprintf("starting %q with %s of memory", v.Name, builder.HumanGiB(bytes)))
	if err := v.Client.Start(ctx, v.Name); err != nil {
		return v.unavailable("start the builder VM", err)
	}
	v.Spec.Memory = bytes
	return nil
}

// FreeSpace implements machine.FreeSpaceKeeper.
func (v *Machine) FreeSpace() (minFree, maxFree int64) { return v.MinFree, v.MaxFree }

// GCRootDir implements machine.RootDirer: the roots live beside the build
// script, in the default user's state folder inside the VM.
func (v *Machine) GCRootDir() string { return path.Join(path.Dir(v.scriptPath()), "roots") }

// freeSpaceConf is the managed nix.conf's min-free and max-free lines.
func (v *Machine) freeSpaceConf() string {
	if v.MinFree <= 0 {
		return ""
	}
	maxFree := max(v.MaxFree, v.MinFree)
	return "min-free = " + strconv.FormatInt(v.MinFree, 10) + "\nmax-free = " + strconv.FormatInt(maxFree, 10) + "\n"
}

// GCResult is what one collection in the VM did.
type GCResult struct {
	// Freed is the bytes the collection freed; Free what is free after it.
	Freed int64 `json:"freed"`
	Free  int64 `json:"free"`
}

// GC collects all garbage in the VM's store (`nixpass vm gc`), keeping
// every registered project's last output (its root), and says what it
// freed. drops are removed projects whose roots go first. The VM is
// started when it is stopped.
func (v *Machine) GC(ctx context.Context, drops []string, progress func(string)) (GCResult, error) {
	if progress == nil {
		progress = func(string) {}
	}
	if _, err := v.running(ctx, progress); err != nil {
		return GCResult{}, err
	}
	if err := v.ensureScript(ctx, progress); err != nil {
		return GCResult{}, err
	}
	args := []string{"sh", v.scriptPath(), "gc"}
	for _, k := range drops {
		args = append(args, "--drop", k)
	}
	progress("collecting garbage in the builder VM's Nix store")
	var out, errOut bytes.Buffer
	_, err := v.Client.Exec(ctx, v.Name, multipass.ExecOptions{Args: args, Stdout: &out, Stderr: &errOut})
	if err != nil {
		msg := strings.TrimSpace(errOut.String())
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		}
		return GCResult{}, &builder.Error{Kind: builder.KindUnavailable, Err: err,
			Message: fmt.Sprintf("collect garbage in the builder VM %q: %v %s", v.Name, err, msg),
			Hint:    "see what Nix said: " + strings.Join([]string{"multipass", "exec", v.Name, "--", "/nix/var/nix/profiles/default/bin/nix-store", "--gc"}, " ")}
	}
	var res GCResult
	for _, l := range strings.Split(out.String(), "\n") {
		if rest, ok := strings.CutPrefix(l, "@nixpass gc-freed "); ok {
			f := strings.Fields(rest)
			if len(f) == 2 {
				res.Freed, _ = strconv.ParseInt(f[0], 10, 64)
				res.Free, _ = strconv.ParseInt(f[1], 10, 64)
			}
		}
	}
	return res, nil
}
