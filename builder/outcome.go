package builder

import (
	"context"
	"fmt"
	"strings"

	"nixpass/builder/shq"
)

// classify turns a non-zero script exit into a classified error, using
// the script's own report first, then the kernel log, then Nix's log.
func (r *run) classify(ctx context.Context, code int) error {
	r.mu.Lock()
	rep := r.report
	nixLog := r.nixLog.String()
	r.mu.Unlock()
	where := r.b.Machine.Describe()

	switch code {
	case exitDirMissing:
		return &Error{Kind: KindUnavailable, Message: fmt.Sprintf("the project folder is not reachable on %s: %s", where, rep.errMsg),
			Hint: "check that the folder exists and is mounted in the builder: nixpass vm status"}
	case exitNixMissing:
		hint := "recreate the builder (nixpass vm delete --yes && nixpass vm create), or install Nix in it"
		if _, local := r.b.Machine.(*Local); local {
			hint = "install Nix: sudo apt-get install nix-bin (Debian/Ubuntu), or see https://nixos.org/download"
		}
		return &Error{Kind: KindUnavailable, Message: "Nix is not installed on " + where, Hint: hint}
	case exitNotAFile:
		return &Error{Kind: KindBuild, Message: "the build produced " + rep.storePath + ", which is not an image file",
			Hint: "point the project at a dockerTools.buildImage or buildLayeredImage attribute (streamLayeredImage makes a script, not a tarball)"}
	case exitDiskFull:
		return r.diskFull(ctx, rep.errMsg)
	case exitCopyFailed:
		return &Error{Kind: KindBuild, Message: "copy the image into the project folder: " + rep.errMsg,
			Hint: "check that the project folder is writable; the last good image is untouched"}
	case exitUsage:
		return &Error{Kind: KindBuild, Message: "the build script rejected its arguments: " + lastNonEmpty(strings.Split(nixLog, "\n")),
			Hint: "this is a nixpass bug: please report it with the log " + r.res.Log}
	case exitCancelled:
		return &Error{Kind: KindCancelled, Message: "the build was cancelled on " + where, Hint: "nothing was changed: the last good image is untouched"}
	}

	f := classifyNixLog(nixLog)
	signal := rep.signal
	if f.signal != 0 {
		signal = f.signal
	}
	if signal == 9 {
		if line, comm, ok := kernelOOM(rep.kmsg, rep.uptime); ok {
			what := "the build"
			if f.drv != "" {
				what = "the build of " + drvName(f.drv)
			}
			return &Error{Kind: KindOOM,
				Message: fmt.Sprintf("%s ran out of memory: the kernel killed %s (%s)", what, comm, line),
				Hint:    r.oomHint(ctx)}
		}
	}
	switch f.kind {
	case KindDiskFull:
		return r.diskFull(ctx, f.what)
	case KindEval:
		msg := "Nix evaluation error: " + f.what
		hint := "fix the Nix expression and save; check it with: " + r.checkCommand()
		if f.position != "" {
			msg += " at " + f.position
			hint = "fix the expression at " + f.position + " and save"
		}
		return &Error{Kind: KindEval, Message: msg, Hint: hint}
	}
	msg := f.what
	if msg == "" {
		msg = fmt.Sprintf("nix exited with status %d", code)
	}
	if signal != 0 && f.drv == "" {
		msg = fmt.Sprintf("nix was killed by signal %d", signal)
	}
	if len(f.tail) > 0 {
		msg += "\n" + strings.Join(f.tail, "\n")
	}
	hint := "read the full log: " + shq.Join("nixpass", "logs", r.p.Dir)
	if signal == 9 {
		hint = "something killed the build (signal 9) but the kernel log shows no OOM kill; if memory is tight: " + r.oomHint(ctx)
	}
	return &Error{Kind: KindBuild, Message: msg, Hint: hint}
}

// checkCommand is a command line, safe to paste, that evaluates the
// project's expression again in its folder.
func (r *run) checkCommand() string {
	argv := []string{"nix-instantiate", r.p.File}
	if r.p.Flake != "" {
		argv = []string{"nix", "eval", "--raw", r.p.Flake + ".drvPath"}
	} else if r.p.Attr != "" {
		argv = append(argv, "-A", r.p.Attr)
	}
	return shq.Join("cd", r.p.Dir) + " && " + shq.Join(argv...)
}

func (r *run) diskFull(ctx context.Context, detail string) error {
	msg := "the builder ran out of disk space"
	if detail != "" {
		msg += ": " + detail
	}
	hint := "free space in the Nix store with nix-collect-garbage -d on the builder"
	if a, ok := r.b.Machine.(diskAdvisor); ok {
		hint = a.DiskHint(ctx)
	}
	return &Error{Kind: KindDiskFull, Message: msg, Hint: hint + "; the last good image is untouched"}
}

// diskAdvisor is implemented by machines that can tell the user how to
// get more disk space.
type diskAdvisor interface {
	DiskHint(ctx context.Context) string
}

func (r *run) oomHint(ctx context.Context) string {
	if a, ok := r.b.Machine.(oomAdvisor); ok {
		return a.OOMHint(ctx)
	}
	return "free memory on " + r.b.Machine.Describe() + ", or build with fewer parallel jobs (max-jobs and cores in nix.conf)"
}
