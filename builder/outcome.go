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
			Hint: "point the project at a dockerTools image: buildImage or buildLayeredImage (a tarball), or streamLayeredImage (a program nixpass runs to stream the image)"}
	case exitDiskFull:
		return r.diskFull(ctx, rep.errMsg)
	case exitNoEmulation:
		return r.noEmulation(rep.errMsg)
	case exitCopyFailed:
		if rep.errCode == "stream-failed" {
			return &Error{Kind: KindBuild, Message: rep.errMsg,
				Hint: "its own error is in the log: nixpass logs " + r.p.Dir + "; the last good image is untouched"}
		}
		return &Error{Kind: KindBuild, Message: "copy the image into the project folder: " + rep.errMsg,
			Hint: "check that the project folder is writable; the last good image is untouched"}
	case exitUsage:
		return &Error{Kind: KindBuild, Message: "the build script rejected its arguments: " + lastNonEmpty(strings.Split(nixLog, "\n")),
			Hint: "this is a nixpass bug: please report it with the log " + r.res.Log}
	case exitCancelled:
		return &Error{Kind: KindCancelled, Message: "the build was cancelled on " + where, Hint: "nothing was changed: the last good image is untouched"}
	}

	if msg, hint, ok := remoteBuilderFailure(nixLog); ok {
		if vm, ok := r.b.Machine.(*VM); ok {
			// The VM's nix-daemon (root) is what connects to the builders.
			hint += "; in the VM it is root that connects: " + shq.Join("multipass", "exec", vm.Name, "--", "sudo", "nix", "store", "ping", "--store", remoteAttempts(nixLog)[0].uri) +
				"; after changing [builder]: nixpass vm setup"
		}
		return &Error{Kind: KindUnavailable, Message: msg, Hint: hint}
	}
	if sys, ok := platformRefused(nixLog); ok {
		return r.refusedPlatform(sys)
	}
	f := classifyNixLog(nixLog)
	signal := rep.signal
	if f.signal != 0 {
		signal = f.signal
	}
	var ev OOMEvidence
	if signal == 9 {
		ev = rep.oom.evidence(rep.kmsg, rep.uptime)
		if ev.Killed {
			what := "the build"
			if f.drv != "" {
				what = "the build of " + drvName(f.drv)
			}
			return &Error{Kind: KindOOM,
				Message: fmt.Sprintf("%s ran out of memory: the kernel's OOM killer stopped it (%s: %s)", what, ev.Source, ev.Line),
				Hint:    r.oomHint(ctx, ev)}
		}
	}
	switch f.kind {
	case KindDiskFull:
		return r.diskFull(ctx, f.what)
	case KindEval:
		msg := "Nix evaluation error: " + f.what
		hint := "fix the Nix expression and save; check it with: nix-instantiate " + r.nixTarget()
		if f.position != "" {
			msg += " at " + f.position
			hint = "fix the expression at " + f.position + " and save"
		}
		if _, vm := r.b.Machine.(*VM); vm {
			if advice := MountAdvice(missingPath(nixLog), r.p.Dir, r.p.Mounts); advice != "" {
				msg += "; " + advice
				hint = advice
			}
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
	hint := "read the full log: nixpass logs " + r.p.Dir
	if signal == 9 {
		if ev.Readable {
			hint = "something killed the build (signal 9), but " + rep.oom.witnesses() + " recorded no OOM kill during it; if memory is short: " + r.oomHint(ctx, ev)
		} else {
			hint = "killed by signal 9; the kernel log could not be read, so nixpass cannot tell whether it ran out of memory; if memory is short: " + r.oomHint(ctx, ev)
		}
	}
	return &Error{Kind: KindBuild, Message: msg, Hint: hint}
}

func (r *run) nixTarget() string {
	if r.p.Flake != "" {
		return r.p.Flake
	}
	if r.p.Attr != "" {
		return r.p.File + " -A " + r.p.Attr
	}
	return r.p.File
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

// oomHint says how to give the build more memory: first the memory cgroup
// limit that applied, when the evidence names one, then the machine's.
func (r *run) oomHint(ctx context.Context, ev OOMEvidence) string {
	machine := "free memory on " + r.b.Machine.Describe() + ", or build with fewer parallel jobs (max-jobs and cores in nix.conf)"
	if a, ok := r.b.Machine.(oomAdvisor); ok {
		machine = a.OOMHint(ctx)
	}
	if p := ev.limitPhrase(); p != "" {
		return p + ": raise that limit (memory.max, memory.limit_in_bytes, or MemoryMax= of the service it runs under); otherwise " + machine
	}
	return machine
}
