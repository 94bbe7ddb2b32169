package build

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"nixpass/builder"
	"nixpass/builder/lazyre"
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
var reNixLockWait = lazyre.New(`^(waiting for lock on .*|waiting for the big garbage collector lock.*|waiting for auto-GC to finish.*)$`)

// gcLock is the garbage collector's lock file, which Nix's "waiting for
// the big garbage collector lock" is about.
const gcLock = "/nix/var/nix/gc.lock"

// nixLocks is what the build script said holds the Nix locks some process
// waits for (its "nix-lock" lines, sampled each second inside the build's
// own session), and the wait nixpass announced without a holder.
type nixLocks struct {
	// announce orders the announcements of Nix's waits: Nix's line and
	// the script's arrive on two streams, and the later one is said last.
	announce sync.Mutex
	// holders maps a lock file to its holder, as holderText says it.
	holders map[string]string
	// waiting is Nix's wait being announced, files its lock files and
	// said the holder announced with it ("" none yet); the wait ends
	// with the next phase.
	waiting, said string
	files         []string
}

// nixLockFiles are the lock files a wait of Nix's is for: PATH.lock for
// each store path it names, or the garbage collector's lock.
func nixLockFiles(wait string) []string {
	if strings.HasPrefix(wait, "waiting for the big garbage collector lock") {
		return []string{gcLock}
	}
	var files []string
	for _, p := range reQuoted.Re().FindAllStringSubmatch(wait, -1) {
		files = append(files, p[1]+".lock")
	}
	return files
}

// nixWait announces Nix's own wait for another Nix command, with the
// holder when it is known: on this host from /proc/locks at once, on
// another machine from what its build script said; otherwise the holder
// is announced when the script says it (nixLockLine), within a second.
func (r *run) nixWait(line string) bool {
	m := reNixLockWait.FindStringSubmatch(strings.TrimSpace(line))
	if m == nil {
		return false
	}
	files := nixLockFiles(m[1])
	r.nixLocks.announce.Lock()
	defer r.nixLocks.announce.Unlock()
	holder := ""
	if _, local := r.b.Machine.(machine.HostScriptDirer); local {
		for _, f := range files {
			if holder = lockHolder(f); holder != "" {
				break
			}
		}
	}
	r.mu.Lock()
	for _, f := range files {
		if holder == "" {
			holder = r.nixLocks.holders[f]
		}
	}
	r.nixLocks.waiting, r.nixLocks.files, r.nixLocks.said = m[1], files, holder
	r.mu.Unlock()
	if holder == "" {
		r.announceWait("Nix is " + m[1] + ": another Nix command holds it")
	} else {
		r.announceWait("Nix is " + m[1] + ": held by " + holder)
	}
	return true
}

// endNixWait forgets Nix's wait once the build moved on; r.mu held.
func (r *run) endNixWait() {
	r.nixLocks.waiting, r.nixLocks.files, r.nixLocks.said = "", nil, ""
}

// nixLockLine reads the script's "nix-lock FILE PID START VIA CMD" line
// and, when it names the holder of the lock Nix is waiting for, says so.
func (r *run) nixLockLine(val string) {
	f := strings.SplitN(val, " ", 5)
	if len(f) < 4 {
		return
	}
	pid, err := strconv.Atoi(f[1])
	if err != nil || pid <= 0 {
		return
	}
	start, _ := strconv.ParseInt(f[2], 10, 64)
	via, _ := strconv.Atoi(f[3])
	cmd := ""
	if len(f) == 5 {
		cmd = f[4]
	}
	var since time.Time
	if start > 0 {
		since = time.Unix(start, 0)
	}
	holder := holderText(pid, strings.Fields(cmd), since, via)
	r.nixLocks.announce.Lock()
	defer r.nixLocks.announce.Unlock()
	r.mu.Lock()
	if r.nixLocks.holders == nil {
		r.nixLocks.holders = map[string]string{}
	}
	r.nixLocks.holders[f[0]] = holder
	wait := ""
	if slices.Contains(r.nixLocks.files, f[0]) && holder != r.nixLocks.said {
		wait, r.nixLocks.said = r.nixLocks.waiting, holder
	}
	r.mu.Unlock()
	if wait != "" {
		r.announceWait("Nix is " + wait + ": held by " + holder)
	}
}

// holderText says what holds a lock: "PID 4242 (nix-build default.nix)
// since 17:40:02", the command's program without its folder and cut to
// 120 characters, URLs' credentials masked; a nix-daemon worker serving
// that process is named after it ("…, through nix-daemon PID 4243").
func holderText(pid int, args []string, since time.Time, via int) string {
	s := "PID " + strconv.Itoa(pid)
	if len(args) > 0 {
		args = slices.Clone(args)
		args[0] = args[0][strings.LastIndexByte(args[0], '/')+1:]
		cmd := redact.URLs(strings.Join(args, " "))
		if len(cmd) > 120 {
			cmd = cmd[:120] + "…"
		}
		s += " (" + cmd + ")"
	}
	if !since.IsZero() {
		s += " since " + since.Local().Format(time.TimeOnly)
	}
	if via > 0 {
		s += ", through nix-daemon PID " + strconv.Itoa(via)
	}
	return s
}

var reQuoted = lazyre.New(`'(/[^']+)'`)

// scriptWait announces the build script's wait for another build on the
// machine (its run folder's lock), with what the script read of the holder.
func (r *run) scriptWait(holder string) {
	d := "waiting for another build on " + r.b.Machine.Describe() + " to finish"
	if holder != "" {
		d += ": " + holder
	}
	r.announceWait(d)
}
