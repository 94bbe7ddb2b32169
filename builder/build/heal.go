package build

import (
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"nixpass/builder"
	"nixpass/builder/machine"
	"nixpass/builder/script"
	"nixpass/builder/store"
)

// Free space and roots (issue 18, item 3): what the build asks the script
// to do about the store, and what the script said it did.

// healReport is what the script said about free space and collecting.
type healReport struct {
	// diskFree is the store's free space before the build, -1 unread.
	diskFree int64
	// collected is set when a collection ran; freed and freeAfter are
	// what it freed and what was free after it.
	collected        bool
	freed, freeAfter int64
	gcFailed         bool
}

func (h *healReport) line(key, val string) {
	switch key {
	case "disk-free":
		h.diskFree, _ = strconv.ParseInt(val, 10, 64)
	case "gc-freed":
		h.collected = true
		f := strings.Fields(val)
		if len(f) == 2 {
			h.freed, _ = strconv.ParseInt(f[0], 10, 64)
			h.freeAfter, _ = strconv.ParseInt(f[1], 10, 64)
		}
	case "gc-failed":
		h.gcFailed = true
	}
}

// rootLink is the garbage-collector root of this build's output: in the
// machine's own root folder, else in the host's state folder; "" without
// either.
func (r *run) rootLink() string {
	name := store.RootName(r.p.Dir, r.p.System)
	if rd, ok := r.b.Machine.(machine.RootDirer); ok {
		return path.Join(rd.GCRootDir(), name)
	}
	if r.b.Store == nil {
		return ""
	}
	return filepath.Join(r.b.Store.RootDir(), name)
}

// healArgs are the script's arguments for roots and free space; drops are
// the removed projects whose roots it drops (DropsDone once it ran).
func (r *run) healArgs() (args, drops []string) {
	if link := r.rootLink(); link != "" {
		args = append(args, "--root", link)
		if r.b.Store != nil {
			own := builder.ProjectKey(r.p.Dir)
			for _, k := range r.b.Store.PendingDrops() {
				if k == own {
					// Registered again since: its root stays.
					r.b.Store.DropsDone([]string{k})
					continue
				}
				drops = append(drops, k)
				args = append(args, "--drop", k)
			}
		}
	}
	if fk, ok := r.b.Machine.(machine.FreeSpaceKeeper); ok {
		if lo, hi := fk.FreeSpace(); lo > 0 && hi >= lo {
			args = append(args, "--min-free", strconv.FormatInt(lo, 10), "--max-free", strconv.FormatInt(hi, 10))
		}
	}
	return args, drops
}

// collectedNote says what a collection before the build freed, for the
// log and the phase's detail.
func (h healReport) collectedNote() string {
	if !h.collected {
		return ""
	}
	return "collected garbage: freed " + builder.HumanBytes(h.freed) + ", " + builder.HumanBytes(h.freeAfter) + " free"
}

// diskFullRetry decides whether a failed attempt is retried once with a
// garbage collection first (issue 18, item 4): only where nixpass keeps
// free space itself (the VM), only when Nix's log says the store or the
// build folder was full (kind disk_full from the diagnosis), never for a
// full host disk while the image was copied (the script's status 72), and
// once. It returns the next attempt's arguments: the same, with --collect.
func (r *run) diskFullRetry(code int, failure error, args []string) ([]string, bool) {
	if _, ok := r.b.Machine.(machine.FreeSpaceKeeper); !ok || code == script.ExitDiskFull || builder.KindOf(failure) != builder.KindDiskFull {
		return nil, false
	}
	// Once; and only with the free-space settings the collection uses.
	if slices.Contains(args, "--collect") || !slices.Contains(args, "--min-free") {
		return nil, false
	}
	return append(slices.Clone(args), "--collect"), true
}

// diskFullNote says what the retry did, for the result and the log.
func (h healReport) diskFullNote() string {
	n := "the builder VM's disk was full: nixpass collected garbage"
	if h.collected {
		n += " (freed " + builder.HumanBytes(h.freed) + ")"
	}
	return n + " and built once more"
}

// retryAfterDiskFull logs and announces the retry of a build whose VM ran
// out of disk, and clears the first attempt's report.
func (r *run) retryAfterDiskFull(failure error) {
	r.logLine("# first attempt: " + failure.Error())
	r.b.emit(builder.BuildPhase{At: builder.At{Time: time.Now()}, Project: r.p.Dir, Phase: "collecting",
		Detail: "the builder VM's disk was full: collecting garbage and building once more"})
	r.resetReport()
}
