package build

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"nixpass/builder"
	"nixpass/builder/docker"
	"nixpass/builder/store"
)

// tempPrefix is how the script names its temporary image in the project
// folder: "." + output + ".nixpass-tmp." + token.
func tempPrefix(output string) string { return "." + output + ".nixpass-tmp." }

// tempPath is the host path of the temporary image once the script has
// reported it written, or "". The name is computed here, not read from
// the report, so no output name (a newline in it, say) can make nixpass
// rename another file.
func (r *run) tempPath() string {
	r.mu.Lock()
	reported := r.report.temp != ""
	r.mu.Unlock()
	if !reported || r.token == "" {
		return ""
	}
	return filepath.Join(r.p.Dir, tempPrefix(r.p.Output)+r.token)
}

// removeTemp removes this run's temporary image unless it was renamed
// into place: reported or not, for a VM that died mid-copy never ran the
// script's own clean-up.
func (r *run) removeTemp() {
	r.mu.Lock()
	installed := r.installed
	r.mu.Unlock()
	if r.token != "" && !installed {
		_ = os.Remove(filepath.Join(r.p.Dir, tempPrefix(r.p.Output)+r.token))
	}
}

// removeStaleTemps removes temporary images an earlier build left behind
// when its nixpass died between the copy and the rename. The builder lock
// is held, so none of them belongs to a running build.
func removeStaleTemps(dir, output string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), tempPrefix(output)) && e.Type().IsRegular() {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// install checks the temporary image the script wrote and renames it over
// the output on the host, where rename is atomic on every file system
// nixpass supports; the builder never replaces the output itself.
func (r *run) install(ctx context.Context) (docker.ImageMeta, error) {
	tmp := r.tempPath()
	if tmp == "" {
		return docker.ImageMeta{}, &builder.Error{Kind: builder.KindBuild,
			Message: "the build script reported success but no image file",
			Hint:    "this is a nixpass bug: please report it with the log " + r.res.Log}
	}
	meta, err := docker.ReadImageMeta(tmp)
	if err != nil {
		if e := r.projectFault(false, err.Error()); e != nil {
			return docker.ImageMeta{}, e
		}
		r.mu.Lock()
		what := "the build's output " + r.report.storePath
		if r.phase == "streaming" {
			what = "the stream of " + r.report.storePath
		}
		r.mu.Unlock()
		return docker.ImageMeta{}, &builder.Error{Kind: builder.KindBuild, Err: err,
			Message: fmt.Sprintf("%s is not a Docker image archive: %v", what, err),
			Hint:    "point the project at a dockerTools image (buildImage, buildLayeredImage or streamLayeredImage); the last good image is untouched"}
	}
	if ctx.Err() != nil {
		return docker.ImageMeta{}, r.interrupted(ctx, ctx.Err())
	}
	if err := finalMode(tmp); err != nil {
		return docker.ImageMeta{}, err
	}
	rename := os.Rename
	if r.system != "" {
		// Another system's image goes to the state folder, which need
		// not be on the project's file system.
		rename = r.b.Store.InstallSystemImage
	}
	if err := rename(tmp, r.res.Output); err != nil {
		if e := r.projectFault(false, err.Error()); e != nil {
			return docker.ImageMeta{}, e
		}
		return docker.ImageMeta{}, &builder.Error{Kind: builder.KindBuild, Err: err,
			Message: "put the image in place: " + err.Error(),
			Hint:    "check that the project folder is writable; the last good image is untouched"}
	}
	r.mu.Lock()
	r.installed = true
	r.mu.Unlock()
	return meta, nil
}

func (r *run) succeed(ctx context.Context) *store.GoodOutput {
	res, rep := r.res, r.report
	res.Status = builder.StatusSucceeded
	res.Kind = builder.KindOK
	res.StorePath = rep.storePath
	res.UpToDate = rep.upToDate
	r.mu.Lock()
	res.BuiltOn = r.builtOn.machine()
	nixLog := r.nixLog.String()
	r.mu.Unlock()
	fallback := fallbackWarning(nixLog, res.BuiltOn)
	var meta docker.ImageMeta
	var metaErr error
	if rep.upToDate {
		// The file is the one nixpass wrote (the script was told so only
		// then): what it read from it then still holds, without reading a
		// large image again.
		if g := r.lastGood(); g != nil && g.StorePath == rep.storePath && g.Platform != "" {
			meta = docker.ImageMeta{Tag: g.Image, Platform: g.Platform}
		} else {
			meta, metaErr = docker.ReadImageMeta(res.Output)
		}
	} else {
		m, err := r.install(ctx)
		if err != nil {
			res.Status = builder.StatusFailed
			return r.fail(err)
		}
		meta = m
	}
	st, err := os.Stat(res.Output)
	if err != nil {
		// The script wrote it inside the builder; if the host cannot see it
		// the mount is not what we think it is.
		return r.fail(&builder.Error{Kind: builder.KindBuild, Err: err,
			Message: fmt.Sprintf("the image was copied on the builder but %s is not visible here", res.Output),
			Hint:    "check the builder's mount of the project folder: nixpass vm status"})
	}
	res.Bytes = st.Size()
	res.Image, res.Platform = meta.Tag, meta.Platform
	if metaErr != nil {
		res.Warning = metaErr.Error()
	}
	r.platformWarning()
	if res.UpToDate {
		res.Message = "up to date: " + filepath.Base(res.Output) + " already holds " + rep.storePath
	} else {
		res.Message = fmt.Sprintf("built %s (%s)", filepath.Base(res.Output), builder.HumanBytes(res.Bytes))
	}
	if fallback != "" {
		res.Warning = strings.TrimPrefix(res.Warning+"; "+fallback, "; ")
	}
	good := &store.GoodOutput{StorePath: rep.storePath, Output: res.Output, Size: st.Size(), ModTime: st.ModTime(), Image: res.Image, Platform: res.Platform}
	if r.system != "" {
		// Another system's image: its parent runs the post-build steps.
		return good
	}
	if len(r.otherSystems()) > 0 {
		if err := r.buildSystems(ctx, good); err != nil {
			// The primary image is in place and stays the last good one;
			// the build failed, so nothing is loaded or pushed.
			r.fail(err)
			return good
		}
	}
	r.dropOldSystems(good)
	if prev := r.b.storeGood(r.p.Dir); prev != nil && prev.StorePath == good.StorePath && prev.Output == good.Output && sameSystems(prev.Systems, good.Systems) {
		// The same images: where they were pushed still holds.
		good.Pushed = prev.Pushed
	}
	// The post-build steps, in order; each runs even when the one before
	// failed, and the result's kind is the first failure's.
	if r.p.DockerLoad {
		r.setPhase("loading")
		r.loadIntoDocker(ctx, good)
	}
	r.pushImage(ctx, good)
	r.uploadToCache(ctx, good)
	return good
}
