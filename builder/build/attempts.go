package build

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"nixpass/builder"
	"nixpass/builder/machine"
	"nixpass/builder/script"
	"nixpass/builder/store"
)

// jobs are Nix's max-jobs and cores for one attempt; 0 means Nix's own.
type jobs struct{ MaxJobs, Cores int }

// retryPolicy is what, besides the attempt's kind, decides a retry.
type retryPolicy struct {
	// Off is [builder] oom_retry = false.
	Off bool
	// RemoteOnly is [builder] max_jobs = 0: local jobs are not Nix's to halve.
	RemoteOnly bool
	// Remote is true when the failed derivation ran on a remote builder,
	// whose memory nixpass does not control.
	Remote bool
}

// nextAttempt decides whether an attempt that ran with used and ended
// with kind is retried, and with what: after an OOM kill, half the jobs
// and half the cores (never below 1), until both are 1. Unknown values
// (0: Nix's were not read) go straight to 1.
func nextAttempt(used jobs, kind builder.Kind, p retryPolicy) (jobs, bool) {
	if kind != builder.KindOOM || p.Off || p.RemoteOnly || p.Remote {
		return jobs{}, false
	}
	half := func(n int) int { return max(1, n/2) }
	next := jobs{half(used.MaxJobs), half(used.Cores)}
	if next == used {
		return jobs{}, false
	}
	return next, true
}

// memorySizer is a machine whose memory size it knows without a call
// (the VM: its configured size); the local backend has none.
type memorySizer interface{ MemoryBytes() int64 }

// attempts runs the build script until an attempt succeeds or is not to
// be retried; every attempt holds the builder lock taken by execute and
// runs within the build's timeout (ctx).
func (r *run) attempts(ctx context.Context, args, drops []string, progress func(string)) *store.GoodOutput {
	cur := jobs{r.p.MaxJobs, r.p.Cores}
	var memory int64
	if m, ok := r.b.Machine.(memorySizer); ok {
		memory = m.MemoryBytes()
	}
	grew, collected := false, false
	// collect is the next attempt's arguments when it is the disk-full
	// retry (heal.go): the failed attempt's, plus --collect.
	var collect []string
	for n := 1; ; n++ {
		a := args
		if cur.MaxJobs > 0 {
			a = append(a[:len(a):len(a)], "--max-jobs", strconv.Itoa(cur.MaxJobs))
		}
		if cur.Cores > 0 {
			a = append(a[:len(a):len(a)], "--cores", strconv.Itoa(cur.Cores))
		}
		afterDiskFull := collect != nil
		if afterDiskFull {
			a, collect = collect, nil
			if ctx.Err() != nil {
				return r.fail(r.interrupted(ctx, ctx.Err()))
			}
		} else if n > 1 {
			r.resetReport()
			msg := fmt.Sprintf("attempt %d: rebuilding with %s and %s after running out of memory", n, plural(cur.MaxJobs, "job"), plural(cur.Cores, "core"))
			r.logLine("# " + msg)
			r.b.emit(builder.BuildPhase{At: builder.At{Time: time.Now()}, Project: r.p.Dir, Phase: "building", Detail: msg})
			if ctx.Err() != nil {
				// Cancelled (or out of time) between attempts: the
				// attempts so far stay on record.
				return r.fail(r.interrupted(ctx, ctx.Err()))
			}
		}
		began := time.Now()
		code, err := r.attempt(ctx, a, drops, n == 1, progress)
		if afterDiskFull {
			r.mu.Lock()
			done := r.report.heal.diskFullNote()
			r.mu.Unlock()
			r.logLine("# " + done)
			r.addWarning(done)
		}
		used := cur
		r.mu.Lock()
		read := r.report.nixJobs
		if afterDiskFull && read == (jobs{}) {
			// The same settings as the attempt that ran out of disk,
			// whose failure read Nix's values (a success reads none).
			prev := r.res.Attempts[len(r.res.Attempts)-1]
			read = jobs{prev.MaxJobs, prev.Cores}
		}
		if used.MaxJobs == 0 {
			used.MaxJobs = read.MaxJobs
		}
		if used.Cores == 0 {
			used.Cores = read.Cores
		}
		remote := r.failedDrv != "" && r.builtOn.where[r.failedDrv] != "" && r.builtOn.where[r.failedDrv] != builder.BuiltLocal
		r.mu.Unlock()
		kind := builder.KindOK
		if err != nil {
			kind = builder.KindOf(err)
		}
		r.res.Attempts = append(r.res.Attempts, builder.Attempt{Kind: kind, MaxJobs: used.MaxJobs, Cores: used.Cores,
			Memory: memory, DurationMS: time.Since(began).Milliseconds()})
		if err == nil {
			good := r.succeed(ctx)
			if good != nil {
				r.res.Warning = joinWarning(healedNote(r.res.Attempts), r.res.Warning)
			}
			return good
		}
		// A full store or build folder in the VM: collect garbage and
		// build once more, as an attempt of its own (heal.go).
		if !collected {
			if next, ok := r.diskFullRetry(code, err, a); ok {
				collected, collect = true, next
				r.retryAfterDiskFull(err)
				continue
			}
		}
		next, retry := nextAttempt(used, kind, retryPolicy{Off: r.b.NoOOMRetry, RemoteOnly: r.b.RemoteOnly, Remote: remote})
		if !retry && kind == builder.KindOOM && !remote && !grew {
			// Still out of memory with the fewest jobs: a VM may grow
			// (grow.go) and build once more with them, once per build.
			if grew, err = r.memoryRetry(ctx, err); grew {
				if m, ok := r.b.Machine.(memorySizer); ok {
					memory = m.MemoryBytes()
				}
				next, retry = used, true
			}
		}
		if !retry {
			return r.fail(err)
		}
		r.logLine(fmt.Sprintf("# nixpass: attempt %d ran out of memory: %s", n, err))
		cur = next
	}
}

// attempt runs the build script once and returns its exit status and nil
// when Nix succeeded, or the classified failure. The first attempt sets up
// emulation when the builder lacks it and runs again.
func (r *run) attempt(ctx context.Context, args, drops []string, first bool, progress func(string)) (int, error) {
	code, runErr := r.runScript(ctx, r.token, args)
	if first && runErr == nil && code != script.ExitUsage && code != script.ExitRunDirUnsafe && r.b.Store != nil {
		r.b.Store.DropsDone(drops)
	}
	if first && code == script.ExitNoEmulation && runErr == nil && ctx.Err() == nil {
		if es, ok := r.b.Machine.(machine.EmulationSetup); ok {
			r.setPhase("preparing")
			if err := es.SetupEmulation(ctx, r.p.System, progress); err != nil {
				return code, r.interrupted(ctx, err)
			}
			r.resetReport()
			code, runErr = r.runScript(ctx, r.token, args)
		}
	}
	switch {
	case ctx.Err() != nil:
		return code, r.interrupted(ctx, ctx.Err())
	case runErr != nil:
		return code, runErr
	case code != 0:
		return code, r.classify(ctx, code)
	}
	return 0, nil
}

// healedNote says what a build that ran out of memory and then succeeded
// did, and how to skip the failing attempts next time; "" when no attempt
// ran out of memory, or when fewer jobs and cores were not what healed it
// (the VM grew: grow.go says so). It names the jobs the last attempt had,
// as the message does, and the cores only when jobs alone do not
// explain the success: the cores changed and the jobs did not.
func healedNote(as []builder.Attempt) string {
	ooms, first := 0, -1
	for i, a := range as {
		if a.Kind == builder.KindOOM {
			if first < 0 {
				first = i
			}
			ooms++
		}
	}
	if ooms == 0 {
		return ""
	}
	f, last := as[first], as[len(as)-1]
	jobsHealed, coresHealed := last.MaxJobs != f.MaxJobs, last.Cores != f.Cores && last.MaxJobs == f.MaxJobs
	if !jobsHealed && !coresHealed {
		return ""
	}
	times := map[int]string{1: "once", 2: "twice"}[ooms]
	if times == "" {
		times = strconv.Itoa(ooms) + " times"
	}
	with, set := plural(last.MaxJobs, "job"), "max_jobs = "+strconv.Itoa(last.MaxJobs)
	if coresHealed {
		with += " and " + plural(last.Cores, "core")
		set = "cores = " + strconv.Itoa(last.Cores)
	}
	return fmt.Sprintf("built after running out of memory %s, with %s: set %s for this project to skip the first attempt", times, with, set)
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

func joinWarning(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}
