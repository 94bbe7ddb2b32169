package build

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"nixpass/builder"
	"nixpass/builder/machine"
)

// OOM retry with more memory (issue 18, item 2): a build that still runs
// out of memory at one job, on a machine whose memory nixpass may grow
// (the VM), gets the smaller of double its memory and [vm] max_memory.
// With [vm] auto_grow the VM is stopped, grown, its new size written to
// [vm] memory (Builder.MemoryGrown) and started, and the build runs once
// more; the builder lock is held throughout (the attempts are one build).
// Without it, the verdict says what nixpass would do and the result
// carries the size (grow_memory) for the menu's "Rebuild NAME with N GB";
// `nixpass build` never prompts. The attempts loop calls memoryRetry once
// its fewer-jobs retries reached one job.

// VMUsers is the record of who uses the VM besides builds (vmusers.Record).
type VMUsers interface {
	// Wait returns when nobody else uses the VM, or with ctx's error;
	// say gets "waiting for …" each time what it waits for changes.
	Wait(ctx context.Context, say func(string)) error
}

// growPlan is the memory an OOM build at one job would get: double, at
// most maxMemory; room is false when that is no more than memory.
func growPlan(memory, maxMemory int64) (next int64, room bool) {
	next = min(2*memory, maxMemory)
	return next, next > memory
}

// gib renders bytes as nixpass vm resize takes them: "8G", or megabytes.
func gib(n int64) string {
	if n%(1<<30) == 0 {
		return strconv.FormatInt(n>>30, 10) + "G"
	}
	return strconv.FormatInt(n>>20, 10) + "M"
}

// memoryRetry decides, for a failure of kind oom, whether the machine was
// grown and the build should run once more; otherwise it returns the
// failure with what nixpass would do, or why it cannot, in its hint.
func (r *run) memoryRetry(ctx context.Context, failure error) (grown bool, _ error) {
	var be *builder.Error
	mg, ok := r.b.Machine.(machine.MemoryGrower)
	if !ok || !errors.As(failure, &be) || be.Kind != builder.KindOOM {
		return false, failure
	}
	memory, maxMemory, auto := mg.MemoryRoom()
	if memory <= 0 || maxMemory <= 0 {
		return false, failure
	}
	next, room := growPlan(memory, maxMemory)
	out := *be
	switch {
	case !room:
		out.Hint = fmt.Sprintf("the build needs more than [vm] max_memory (%s), which the VM already has: raise max_memory in nixpass's config (it bounds how far nixpass grows the VM; default: half this machine's RAM), then: nixpass vm resize --memory %s",
			builder.HumanGiB(maxMemory), gib(2*memory))
		return false, &out
	case !auto:
		r.res.GrowMemory = next
		out.Hint = fmt.Sprintf("give the VM %s of memory and build again: nixpass vm resize --memory %s — with [vm] auto_grow = true nixpass would do that itself (up to [vm] max_memory, %s) and rebuild once",
			builder.HumanGiB(next), gib(next), builder.HumanGiB(maxMemory))
		return false, &out
	}
	detail := fmt.Sprintf("out of memory with %s: growing the builder VM to %s and building once more", builder.HumanGiB(memory), builder.HumanGiB(next))
	r.logLine("# first attempt: " + be.Message)
	r.logLine("# " + detail)
	r.b.emit(builder.BuildPhase{At: builder.At{Time: time.Now()}, Project: r.p.Dir, Phase: "resizing", Detail: detail})
	progress := func(msg string) {
		r.logLine("# " + msg)
		r.b.emit(builder.BuildPhase{At: builder.At{Time: time.Now()}, Project: r.p.Dir, Phase: "resizing", Detail: msg})
	}
	if r.b.VMUsers != nil {
		// The lifecycle rule: a stop waits for the VM's other users (an
		// upload in the app, a vm builder session), saying which.
		waited := false
		err := r.b.VMUsers.Wait(ctx, func(s string) { waited = true; r.announceWait(s + " before resizing the VM") })
		if err != nil {
			return false, r.interrupted(ctx, err)
		}
		if waited {
			r.setPhase("resizing")
		}
	}
	if err := mg.GrowMemory(ctx, next, progress); err != nil {
		return false, err
	}
	note := fmt.Sprintf("the build ran out of memory with %s: nixpass grew the builder VM to %s and built once more", builder.HumanGiB(memory), builder.HumanGiB(next))
	if r.b.MemoryGrown != nil {
		if err := r.b.MemoryGrown(next); err != nil {
			note += fmt.Sprintf("; write memory = %q in [vm] yourself, for %v", gib(next), err)
		} else {
			note += " ([vm] memory is now " + gib(next) + ")"
		}
	}
	r.addWarning(note)
	r.resetReport()
	return true, nil
}
