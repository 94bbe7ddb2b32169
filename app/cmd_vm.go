package main

import (
	"bufio"
	"context"
	"fmt"
	"strings"
	"syscall"

	"nixpass/builder"
	"nixpass/builder/config"
	"nixpass/builder/core"
	"nixpass/builder/multipass"
	"nixpass/builder/tools"
)

func cmdVM(c *cli, ctx context.Context, args []string) int {
	if len(args) > 0 && args[0] == "proxy" {
		// Run by ssh for a vm builder session, with no config of its own.
		return c.vmProxy(ctx, args[1:])
	}
	fs := c.flags("vm")
	cpus := fs.Int("cpus", 0, "number of CPUs")
	memory := fs.String("memory", "", "memory size, e.g. 8G")
	disk := fs.String("disk", "", "disk size, e.g. 60G (can only grow)")
	asJSON := fs.Bool("json", false, "print JSON (status, gc)")
	yes := fs.Bool("yes", false, "delete without asking")
	pos, code, ok := c.parseArgs(fs, args, 1, 1)
	if !ok {
		return code
	}
	var mem, dsk config.Size
	for _, s := range []struct {
		in  string
		out *config.Size
	}{{*memory, &mem}, {*disk, &dsk}} {
		if s.in == "" {
			continue
		}
		v, err := config.ParseSize(s.in)
		if err != nil {
			return c.usageError(fs, err.Error())
		}
		*s.out = v
	}
	e, err := c.load()
	if err != nil {
		return c.fail(err)
	}
	if e.VM == nil && pos[0] == "gc" {
		return c.localGC(*asJSON)
	}
	if e.VM == nil && pos[0] != "status" {
		return c.fail(fmt.Errorf("the builder is this machine ([builder] backend = \"local\" in %s): there is no VM to %s", e.Path, pos[0]))
	}
	progress := func(s string) { fmt.Fprintln(c.stderr, "• "+s) }
	switch pos[0] {
	case "status":
		st := e.Machine.Status(ctx)
		if *asJSON {
			c.printJSON(st)
		} else {
			printBuilder(c.stdout, st)
		}
		return 0
	case "create":
		if *cpus > 0 {
			e.VM.Spec.CPUs = *cpus
		}
		if mem > 0 {
			e.VM.Spec.Memory = mem.Bytes()
		}
		if dsk > 0 {
			e.VM.Spec.Disk = dsk.Bytes()
		}
		err = e.VM.Create(ctx, progress)
	case "start":
		err = e.VM.Start(ctx, progress)
	case "stop":
		err = holdVM(ctx, e, progress, func() error { return e.VM.Stop(ctx) })
	case "setup":
		// What a new VM's cloud-init and [builder] settings give it, for a
		// VM made before them.
		err = e.VM.Setup(ctx, progress)
	case "resize":
		if *cpus == 0 && mem == 0 && dsk == 0 {
			return c.usageError(fs, "resize: give --cpus, --memory and/or --disk (the disk can only grow)")
		}
		err = holdVM(ctx, e, progress, func() error { return e.VM.Resize(ctx, *cpus, mem.Bytes(), dsk.Bytes(), progress) })
		if err == nil {
			fmt.Fprintf(c.stderr, "note: set the same values in %s ([vm] cpus/memory/disk) so a recreated VM gets them\n", e.Path)
		}
	case "delete":
		if !*yes && !c.confirm(fmt.Sprintf("Delete the builder VM %q and its Nix store? [y/N] ", e.VM.Name)) {
			fmt.Fprintln(c.stderr, "not deleted (use --yes to skip this question)")
			return exitUsage
		}
		err = e.VM.Delete(ctx)
	case "shell":
		return c.shell(e)
	case "builder":
		return c.vmBuilder(ctx, e.VM.Client, e.VM.Name, e.VMUsers().Dir)
	case "gc":
		return c.vmGC(ctx, e, *asJSON, progress)
	default:
		return c.usageError(fs, fmt.Sprintf("unknown action %q", pos[0]))
	}
	if err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(c.stdout, "builder VM %q: %s done\n", e.VM.Name, pos[0])
	return 0
}

// holdVM runs f once nothing else uses the VM (the running build,
// uploads, vm builder sessions: core.Env.HoldVM), saying what it waits
// for through progress; Ctrl-C ends the wait.
func holdVM(ctx context.Context, e *core.Env, progress func(string), f func() error) error {
	release, err := e.HoldVM(ctx, progress)
	if err != nil {
		return err
	}
	defer release()
	return f()
}

func (c *cli) confirm(question string) bool {
	fmt.Fprint(c.stderr, question)
	line, _ := bufio.NewReader(c.stdin).ReadString('\n')
	a := strings.ToLower(strings.TrimSpace(line))
	return a == "y" || a == "yes"
}

// shell replaces nixpass with an interactive `multipass shell`, so the
// terminal (job control, window size) belongs to it.
func (c *cli) shell(e *core.Env) int {
	path, err := tools.Default().Find(e.Config.Builder.Multipass)
	if err != nil {
		return c.fail(&builder.Error{Kind: builder.KindUnavailable, Err: err, Message: "Multipass is not installed: " + err.Error(), Hint: multipass.Hint(multipass.ErrNotInstalled)})
	}
	err = syscall.Exec(path, []string{e.Config.Builder.Multipass, "shell", e.VM.Name}, syscallEnv())
	return c.fail(fmt.Errorf("run multipass shell: %w", err))
}
