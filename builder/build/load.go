package build

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"nixpass/builder"
	"nixpass/builder/docker"
	"nixpass/builder/shq"
	"nixpass/builder/store"
)

// notLoaded joins what was built to why Docker did not take it, in the
// message of a KindDocker result.
const notLoaded = ", but not loaded into Docker: "

// docker is the Docker the builder loads with, logging to log.
func (b *Builder) docker(log func(string)) *docker.CLI {
	var d docker.CLI
	if b.Docker != nil {
		d = *b.Docker
	}
	if d.Runner == nil {
		d.Runner = b.Runner
	}
	d.Log = log
	return &d
}

// loadIntoDocker loads the image a successful build just wrote (or
// found up to date). A failed load fails the build with KindDocker, but
// the image file is good: the caller still records it as the last good
// one, so the next build is up to date and only loads again.
func (r *run) loadIntoDocker(ctx context.Context, good *store.GoodOutput) {
	res := r.res
	d := r.b.docker(r.logLine)
	if prev := r.b.storeGood(r.p.Dir); res.UpToDate && prev != nil && prev.StorePath == good.StorePath &&
		d.Holds(ctx, prev.Loaded, prev.LoadedID) {
		// The no-op budget: Docker holds this very image under that name.
		res.Loaded, good.Loaded, good.LoadedID = prev.Loaded, prev.Loaded, prev.LoadedID
		res.Message += "; " + prev.Loaded + " already in Docker"
		r.logLine("# docker: " + prev.Loaded + " is already " + prev.LoadedID + ", not loaded again")
		return
	}
	loaded, id, err := d.LoadID(ctx, res.Output, res.Image)
	switch {
	case err == nil:
		res.Loaded, good.Loaded, good.LoadedID = loaded, loaded, id
		res.Message += "; loaded " + loaded + " into Docker"
		r.logLine("# docker: loaded " + loaded)
	case ctx.Err() != nil:
		r.fail(r.interrupted(ctx, err))
	default:
		built := res.Message
		r.fail(err)
		res.Message = built + notLoaded + strings.TrimPrefix(res.Message, "docker load: ")
	}
}

// LoadImage loads p's image file into Docker, as a build with
// docker_load does after copying it (the menu's "Load into Docker"), and
// returns nil or an *Error of KindDocker. When the last build of p was
// built but not loaded, a successful load makes that result a success,
// recorded in the Store and announced with BuildFinished, so the menu and
// the notifications stop saying the image is not in Docker.
func (b *Builder) LoadImage(ctx context.Context, p builder.Project) error {
	out := filepath.Join(p.Dir, p.Output)
	if _, err := os.Stat(out); err != nil {
		return &builder.Error{Kind: builder.KindDocker, Err: err, Message: "there is no image to load: " + err.Error(),
			Hint: "build it first: " + shq.Join("nixpass", "build", p.Dir)}
	}
	meta, _ := docker.ReadImageMeta(out)
	loaded, id, err := b.docker(nil).LoadID(ctx, out, meta.Tag)
	if err != nil {
		return err
	}
	if b.Store == nil {
		return nil
	}
	last, err := b.Store.Last(p.Dir)
	if err != nil || last == nil || last.Kind != builder.KindDocker || last.Output != out {
		return nil
	}
	res := *last
	built, _, _ := strings.Cut(res.Message, notLoaded)
	res.Status, res.Kind, res.Hint, res.Loaded = builder.StatusSucceeded, builder.KindOK, "", loaded
	res.Message = fmt.Sprintf("%s; loaded %s into Docker", built, loaded)
	res.Finished = time.Now()
	good := b.Store.IntactGood(p.Dir)
	if good != nil {
		good.Loaded, good.LoadedID = loaded, id
	}
	if err := b.Store.Record(&res, good); err != nil {
		res.Warning = err.Error()
	}
	b.emit(builder.BuildFinished{At: builder.At{Time: time.Now()}, Result: res})
	return nil
}
