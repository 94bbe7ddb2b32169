package build

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"strings"
	"time"

	"nixpass/builder"
	"nixpass/builder/machine"
	"nixpass/builder/shq"
	"nixpass/builder/store"
)

// Pusher pushes image files to a registry: builder/registry, wired by
// core from the config, so build needs none of the registry's types. The
// push always runs on this host, whatever the machine (the credentials
// are here).
type Pusher interface {
	Push(ctx context.Context, req PushRequest) (*builder.PushResult, error)
}

// PushRequest is one push of a project's image file.
type PushRequest struct {
	// Ref is REGISTRY/REPO[:TAG].
	Ref string
	// Project is the project's folder, for progress events.
	Project string
	// Files are the image files: one, or one per platform.
	Files []string
	// Progress receives the push's progress; it must not block.
	Progress func(builder.PushProgress)
	// Log receives nixpass's "# push: …" lines.
	Log io.Writer
}

// notPushed joins what was built to why the registry did not take it, in
// the message of a KindPush result.
const notPushed = ", but not pushed: "

// pushedLine is the message's part for a push that succeeded.
func pushedLine(p *builder.PushResult) string { return "pushed " + p.Short() }

// pushImage pushes the image a successful build just wrote (or found up
// to date) to the project's push ref, after the Docker load and whether
// or not that load failed. A store path already pushed to that ref is not
// pushed again. A failed push makes the result KindPush unless an earlier
// step failed first; the image file stays the last good one, so the next
// build is up to date and pushes again.
func (r *run) pushImage(ctx context.Context, good *store.GoodOutput) {
	ref := r.p.Push
	if ref == "" || ctx.Err() != nil {
		return
	}
	res := r.res
	if done, ok := good.Pushed[ref]; ok {
		done.LayersExisting += done.LayersUploaded
		done.LayersUploaded, done.BytesUploaded = 0, 0
		res.Push = &done
		r.logLine("# push: " + ref + ": already pushed as " + done.Ref + "@" + done.Digest)
		if res.Succeeded() {
			res.Message += "; " + pushedLine(&done)
		}
		return
	}
	r.setPhase("pushing")
	files, err := r.b.pushFiles(r.p, good)
	var pushed *builder.PushResult
	if err == nil {
		pushed, err = r.b.push(ctx, PushRequest{Ref: ref, Project: r.p.Dir, Files: files,
			Log: &machine.LineWriter{Fn: r.logLine}})
	} else {
		pushed = &builder.PushResult{Ref: ref, Error: err.Error()}
	}
	res.Push = pushed
	if err != nil {
		if ctx.Err() != nil {
			r.fail(r.interrupted(ctx, err))
			return
		}
		if res.Succeeded() {
			built := res.Message
			r.fail(err)
			res.Kind = builder.KindPush
			res.Message = built + notPushed + res.Message
		}
		return
	}
	good.Pushed = maps.Clone(good.Pushed)
	if good.Pushed == nil {
		good.Pushed = map[string]builder.PushResult{}
	}
	good.Pushed[ref] = *pushed
	if res.Succeeded() {
		res.Message += "; " + pushedLine(pushed)
	}
}

// push runs the Pusher, sending its progress as events, and returns a
// push object (never nil) and, on failure, a *builder.Error of KindPush.
func (b *Builder) push(ctx context.Context, req PushRequest) (*builder.PushResult, error) {
	req.Progress = func(p builder.PushProgress) { b.emit(p) }
	if b.Pusher == nil {
		err := &builder.Error{Kind: builder.KindPush, Message: "push " + req.Ref + ": this nixpass has no registry client wired",
			Hint: "this is a nixpass bug: please report it"}
		return &builder.PushResult{Ref: req.Ref, Error: err.Message}, err
	}
	res, err := b.Pusher.Push(ctx, req)
	if res == nil {
		res = &builder.PushResult{Ref: req.Ref}
	}
	if err != nil {
		if res.Error == "" {
			res.Error = err.Error()
		}
		if builder.KindOf(err) != builder.KindPush {
			// A push is a post-build step: its failure is kind push
			// (exit 11) whatever the cause, with the cause's words.
			be := &builder.Error{Kind: builder.KindPush, Message: err.Error(), Err: err}
			var e *builder.Error
			if errors.As(err, &e) {
				be.Message, be.Hint = e.Message, e.Hint
			}
			err = be
		}
	}
	return res, err
}

// PushImage pushes the last good image of p, without building, to ref
// (`nixpass push`), and records it with that image, so the next build of
// the same store path to the same ref pushes nothing. When the last build
// of p was built but not pushed to p's own ref, a successful push makes
// that result a success, recorded and announced with BuildFinished, as a
// later load does for a build that was not loaded.
func (b *Builder) PushImage(ctx context.Context, p builder.Project, ref string, log io.Writer) (*builder.PushResult, error) {
	good := b.storeGood(p.Dir)
	if good == nil {
		return nil, &builder.Error{Kind: builder.KindConfig,
			Message: fmt.Sprintf("%s has no good image to push: build first", p.Dir),
			Hint:    "Run `" + shq.Join("nixpass", "build", p.Dir) + "` first."}
	}
	files, err := b.pushFiles(b.primary(p), good)
	if err != nil {
		return nil, err
	}
	res, err := b.push(ctx, PushRequest{Ref: ref, Project: p.Dir, Files: files, Log: log})
	if err != nil {
		return res, err
	}
	good.Pushed = maps.Clone(good.Pushed)
	if good.Pushed == nil {
		good.Pushed = map[string]builder.PushResult{}
	}
	good.Pushed[ref] = *res
	last, _ := b.Store.Last(p.Dir)
	if last == nil || last.Kind != builder.KindPush || ref != p.Push || last.StorePath != good.StorePath {
		if err := b.Store.SetGood(p.Dir, good); err != nil {
			return res, fmt.Errorf("record the push: %w", err)
		}
		return res, nil
	}
	fixed := *last
	built, _, _ := strings.Cut(fixed.Message, notPushed)
	fixed.Status, fixed.Kind, fixed.Hint, fixed.Push = builder.StatusSucceeded, builder.KindOK, "", res
	fixed.Message = built + "; " + pushedLine(res)
	fixed.Finished = time.Now()
	if err := b.Store.Record(&fixed, good); err != nil {
		fixed.Warning = err.Error()
	}
	b.emit(builder.BuildFinished{At: builder.At{Time: time.Now()}, Result: fixed})
	return res, nil
}
