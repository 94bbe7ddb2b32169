package build

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"nixpass/builder"
	"nixpass/builder/diagnose"
	"nixpass/builder/machine"
	"nixpass/builder/script"
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
	case script.ExitDirMissing:
		if e := r.projectFault(false, rep.errMsg); e != nil {
			return e
		}
		return &builder.Error{Kind: builder.KindUnavailable, Message: fmt.Sprintf("the project folder is not reachable on %s: %s", where, rep.errMsg),
			Hint: "check that the folder exists and is mounted in the builder: nixpass vm status"}
	case script.ExitNixMissing:
		hint := "recreate the builder (nixpass vm delete --yes && nixpass vm create), or install Nix in it"
		if a, ok := r.b.Machine.(machine.NixAdvisor); ok {
			hint = a.NixHint()
		}
		return &builder.Error{Kind: builder.KindUnavailable, Message: "Nix is not installed on " + where, Hint: hint}
	case script.ExitRunDirUnsafe:
		return runDirUnsafe(rep.errMsg, where)
	case script.ExitNotAFile:
		if rep.errCode == "outside-store" {
			return outsideStore(rep.storePath, rep.errMsg)
		}
		return &builder.Error{Kind: builder.KindBuild, Message: "the build produced " + rep.storePath + ", which is not an image file",
			Hint: "point the project at a dockerTools image: buildImage or buildLayeredImage (a tarball), or streamLayeredImage (a program nixpass runs to stream the image)"}
	case script.ExitDiskFull:
		// The script says disk-full only when writing the image into
		// the project folder failed: the project's disk, not the store.
		if e := r.projectFault(true, rep.errMsg); e != nil {
			return e
		}
		return r.diskFull(ctx, rep.errMsg)
	case script.ExitNoEmulation:
		return r.noEmulation(rep.errMsg)
	case script.ExitCopyFailed:
		if rep.errCode == "stream-failed" {
			return &builder.Error{Kind: builder.KindBuild, Message: rep.errMsg,
				Hint: "its own error is in the log: nixpass logs " + r.p.Dir + "; the last good image is untouched"}
		}
		if e := r.projectFault(false, rep.errMsg); e != nil {
			return e
		}
		return &builder.Error{Kind: builder.KindBuild, Message: "copy the image into the project folder: " + rep.errMsg,
			Hint: "check that the project folder is writable; the last good image is untouched"}
	case script.ExitUsage:
		return &builder.Error{Kind: builder.KindBuild, Message: "the build script rejected its arguments: " + diagnose.LastNonEmpty(strings.Split(nixLog, "\n")),
			Hint: "this is a nixpass bug: please report it with the log " + r.res.Log}
	case script.ExitCancelled:
		return &builder.Error{Kind: builder.KindCancelled, Message: "the build was cancelled on " + where, Hint: "nothing was changed: the last good image is untouched"}
	}

	d := diagnose.Diagnose(nixLog, r.evidence(ctx, rep))
	r.mu.Lock()
	r.failedDrv = d.Drv
	r.mu.Unlock()
	if d.Kind == builder.KindOK {
		// Nix failed without saying why (killed before it could, or a
		// message nixpass does not know): say what is known.
		msg := fmt.Sprintf("nix exited with status %d", code)
		if last := diagnose.LastNonEmpty(strings.Split(nixLog, "\n")); last != "" {
			msg += ": " + last
		}
		return &builder.Error{Kind: builder.KindBuild, Message: msg, Hint: "read the full log: " + shq.Join("nixpass", "logs", r.p.Dir)}
	}
	msg, hint, action := d.Message, d.Hint, d.Action
	if d.Missing != "" {
		if a, ok := r.b.Machine.(machine.MountAdvisor); ok {
			if advice := a.MountAdvice(d.Missing, r.p); advice != "" {
				msg += "; " + advice
				hint, action = advice, "Mount the folder that holds the missing file"
			}
		}
	}
	return &builder.Error{Kind: d.Kind, Message: msg, Hint: hint, Action: action}
}

// evidence gathers what the diagnosis weighs besides Nix's log: the
// script's report of a signal and the kernel's OOM lines, the machine,
// and the project.
func (r *run) evidence(ctx context.Context, rep scriptReport) diagnose.Evidence {
	ev := machine.Evidence(ctx, r.b.Machine)
	ev.Signal = rep.signal
	ev.Project, ev.GuestDir, ev.Contains = r.p, r.guestDir, nixFilesContain(r.p.Dir)
	// What the script could read of the kernel's OOM kills (its log, or
	// the counters a normal user can read); nothing read means nothing is
	// known either way.
	oe := rep.oom.evidence()
	ev.OOM = rep.oom.worded(oe)
	r.logKernel(rep.oom)
	if rep.heal.diskFree > 0 {
		ev.Machine.StoreFree = rep.heal.diskFree
	}
	if oe.LimitCgroup != "" && oe.Limit > 0 && ev.Machine.VM == "" {
		ev.Machine.MemLimit, ev.Machine.MemLimitCgroup = oe.Limit, oe.LimitCgroup
	}
	return ev
}

// nixFilesContain reports whether any .nix file in dir (at most a few
// levels deep and a few hundred files) contains a text: the hash-mismatch
// hint quotes the new hash in the form the project's files use.
func nixFilesContain(dir string) func(string) bool {
	return func(text string) bool {
		found, seen := false, 0
		_ = filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
			switch {
			case found || seen > 500:
				return fs.SkipAll
			case err != nil:
				return nil
			}
			if e.IsDir() {
				if n := e.Name(); p != dir && (strings.HasPrefix(n, ".") || n == "node_modules" || strings.Count(p[len(dir):], "/") > 4) {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(p, ".nix") {
				return nil
			}
			seen++
			if b, err := os.ReadFile(p); err == nil && len(b) < 4<<20 && strings.Contains(string(b), text) {
				found = true
			}
			return nil
		})
		return found
	}
}

func (r *run) diskFull(ctx context.Context, detail string) error {
	msg := "the builder ran out of disk space"
	if detail != "" {
		msg += ": " + detail
	}
	hint := "free space in the Nix store with nix-collect-garbage -d on the builder"
	if a, ok := r.b.Machine.(machine.DiskAdvisor); ok {
		hint = a.DiskHint(ctx)
	}
	return &builder.Error{Kind: builder.KindDiskFull, Message: msg, Hint: hint + "; the last good image is untouched"}
}
