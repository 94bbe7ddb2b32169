package build

import (
	"context"
	"strconv"
	"strings"
	"time"

	"nixpass/builder"
	"nixpass/builder/machine"
	"nixpass/builder/redact"
)

// scriptReport is what the script said on its "@nixpass" protocol lines.
type scriptReport struct {
	storePath string
	upToDate  bool
	temp      string
	copied    int64
	signal    int
	errCode   string
	errMsg    string
	// oom is the OOM evidence the script could read (oom.go).
	oom oomReport
	// nixJobs are Nix's effective max-jobs and cores, read after a
	// failure (zero: not read).
	nixJobs jobs
	// heal is what the script said about free space (heal.go).
	heal healReport
	// systems are its verdicts on the other systems' outputs
	// (systemcheck.go).
	systems systemChecks
}

// oomKeys are the protocol lines the OOM rule reads (oom.go); each goes
// to the build log, so that `nixpass explain` applies the same rule.
var oomKeys = map[string]bool{"oom-count": true, "mem-limit": true, "mem-total": true, "kmsg-read": true, "kmsg": true,
	"uptime": true, "uptime-end": true, "cgroup": true, "build-uids": true, "user-uid": true, "pool": true}

func (r *run) runScript(ctx context.Context, token string, args []string) (int, error) {
	stdout := &machine.LineWriter{Fn: r.protocolLine}
	stderr := &machine.LineWriter{Fn: r.nixLine}
	code, err := r.b.Machine.RunScript(ctx, token, args, stdout, stderr)
	stdout.Flush()
	stderr.Flush()
	return code, err
}

func (r *run) resetReport() {
	r.mu.Lock()
	r.report = scriptReport{}
	r.nixLocks.holders = nil
	r.endNixWait()
	r.nixLog.reset()
	r.mu.Unlock()
}

// logLine writes a line of nixpass's own to the build's log: a cut of a
// long log keeps it.
func (r *run) logLine(line string) {
	if r.log != nil {
		r.log.Own(redact.URLs(line))
	}
}

// outputLine writes a line of the build's output to its log.
func (r *run) outputLine(line string) {
	if r.log != nil {
		r.log.Line(redact.URLs(line))
	}
}

// nixLine handles one line of Nix's log.
func (r *run) nixLine(line string) {
	line = redact.URLs(line)
	r.outputLine(line)
	r.mu.Lock()
	r.nixLog.line(line)
	r.builtOn.line(line)
	r.mu.Unlock()
	if r.nixWait(line) {
		// Said as the phase's detail; the log has the line.
	} else if reBuilding.MatchString(line) || strings.Contains(line, " will be built:") {
		r.setPhase("building")
	}
	r.noteNetwork(line)
	r.b.emit(builder.BuildLog{At: builder.At{Time: time.Now()}, Project: r.p.Dir, Line: cleanText(line)})
}

// protocolLine handles one "@nixpass" line of the script's stdout.
func (r *run) protocolLine(line string) {
	rest, ok := strings.CutPrefix(line, "@nixpass ")
	if !ok {
		r.outputLine(line)
		return
	}
	key, val, _ := strings.Cut(rest, " ")
	r.mu.Lock()
	rep := &r.report
	switch key {
	case "store-path":
		rep.storePath = val
	case "up-to-date":
		rep.upToDate = true
	case "temp":
		rep.temp = val
	case "copied":
		rep.copied, _ = strconv.ParseInt(val, 10, 64)
	case "signal":
		rep.signal, _ = strconv.Atoi(val)
	case "error":
		rep.errCode, rep.errMsg, _ = strings.Cut(val, " ")
	case "nix-jobs":
		j, c, _ := strings.Cut(val, " ")
		rep.nixJobs.MaxJobs, _ = strconv.Atoi(j)
		rep.nixJobs.Cores, _ = strconv.Atoi(c)
	case "disk-free", "gc-freed", "gc-failed":
		rep.heal.line(key, val)
	case "system-check":
		rep.systems.line(val)
	}
	if oomKeys[key] {
		rep.oom.line(key, val)
	}
	note := ""
	if key == "gc-freed" {
		note = rep.heal.collectedNote()
	}
	r.mu.Unlock()
	switch key {
	case "phase":
		r.setPhase(val)
	case "lock-holder":
		r.scriptWait(val)
	case "nix-lock":
		// Logged only when it names what this build waits for.
		r.nixLockLine(val)
	case "kmsg":
		// Only the kills the OOM rule weighs for this build go to the
		// log, after the build (logKernel): never the machine's history.
	case "drv":
		// What this build builds, for a second nixpass to compare with
		// its own evaluation before joining it (app/join.go).
		if r.b.Store != nil && r.marker != nil {
			_ = r.b.Store.NoteDerivation(r.token, val)
		}
		r.logLine("# " + rest)
	case "error", "store-path", "signal", "nix-jobs", "disk-free", "gc-failed", "system-check":
		r.logLine("# " + rest)
	case "gc-freed":
		r.logLine("# " + note)
		r.b.emit(builder.BuildPhase{At: builder.At{Time: time.Now()}, Project: r.p.Dir, Phase: "collecting", Detail: note})
	default:
		if oomKeys[key] {
			r.logLine("# " + rest)
		}
	}
}
