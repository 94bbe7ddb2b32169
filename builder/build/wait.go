package build

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"nixpass/builder"
	"nixpass/builder/machine"
	"nixpass/builder/redact"
	"nixpass/builder/store"
)

// No silent waits (issue 18, item 6): a build that waits for a lock held
// by another build says so at once, with what holds it, as a "waiting"
// BuildPhase whose detail the CLI's progress line and the menu show.

// waitingFor announces a wait for the builder lock at path.
func (r *run) waitingFor(path string) {
	what := "another nixpass build on this builder"
	if h, ok := store.ReadHolder(path); ok {
		what += ": " + h.String()
	}
	r.announceWait("waiting for " + what + " to finish")
}

// announceWait sets the phase to "waiting" with detail, once per detail.
func (r *run) announceWait(detail string) {
	r.mu.Lock()
	r.phase = "waiting"
	r.mu.Unlock()
	r.logLine("# " + detail)
	r.b.emit(builder.BuildPhase{At: builder.At{Time: time.Now()}, Project: r.p.Dir, Phase: "waiting", Detail: detail})
}

// selfCommand is this process's command line for a lock's holder record,
// with URLs' credentials masked.
func selfCommand() string {
	args := append([]string{filepath.Base(os.Args[0])}, os.Args[1:]...)
	return redact.URLs(strings.Join(args, " "))
}

// reNixLockWait is Nix waiting for another Nix command: a lock on a store
// path being built or substituted by another process, or the garbage
// collector's lock (2.8 to 2.34).
var reNixLockWait = regexp.MustCompile(`^(waiting for lock on .*|waiting for the big garbage collector lock.*|waiting for auto-GC to finish.*)$`)

// nixWait announces Nix's own wait for another Nix command, with the
// holder when this host can tell (the script's "lock-holder" line).
func (r *run) nixWait(line string) bool {
	m := reNixLockWait.FindStringSubmatch(strings.TrimSpace(line))
	if m == nil {
		return false
	}
	holder := "another Nix command holds it"
	if _, local := r.b.Machine.(machine.HostScriptDirer); local {
		// Nix locks store path P with P.lock, on this host.
		for _, p := range reQuoted.FindAllStringSubmatch(m[1], -1) {
			if h := lockHolder(p[1] + ".lock"); h != "" {
				holder = "held by " + h
				break
			}
		}
	}
	r.announceWait("Nix is " + m[1] + ": " + holder)
	return true
}

var reQuoted = regexp.MustCompile(`'(/[^']+)'`)

// scriptWait announces the build script's wait for another build on the
// machine (its run folder's lock), with what the script read of the holder.
func (r *run) scriptWait(holder string) {
	d := "waiting for another build on " + r.b.Machine.Describe() + " to finish"
	if holder != "" {
		d += ": " + holder
	}
	r.announceWait(d)
}
