package build

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"

	"nixpass/builder"
	"nixpass/builder/store"
)

// CacheUploader uploads a successful build's closure to the team cache
// ([cache] upload). core wires builder/cache's signed `nix copy`, run
// where the closure is.
type CacheUploader interface {
	// UploadCache copies the closure of storePath, signed, unless done (the
	// record keys of the uploads the last good output already had) holds
	// this upload's key: then nothing runs. key is what to record once it
	// worked (the cache's public URL, marked when it also took the
	// build-time closure); on failure the report carries Error and err is
	// a *builder.Error of kind cache (or cancelled).
	UploadCache(ctx context.Context, storePath string, done []string) (rep *builder.CacheUpload, key string, err error)
}

// notUploaded joins what was built to why the cache did not take it, in
// the message of a KindCache result.
const notUploaded = ", but not uploaded to the cache: "

// uploadToCache is the last post-build step: it runs even when an
// earlier one (docker load) failed, and its failure sets the result's
// kind only when no earlier step failed. A successful upload is recorded
// with the good output, so an up-to-date build uploads nothing.
func (r *run) uploadToCache(ctx context.Context, good *store.GoodOutput) {
	up := r.b.Cache
	if up == nil || ctx.Err() != nil {
		return
	}
	if r.b.Uploads != nil && !r.uploadNow {
		r.later = good
		return
	}
	if r.b.Store != nil {
		// Recorded with the store path: a file copied again (the output
		// was removed, say) needs no new upload of the same closure.
		if prev := r.b.Store.LastGood(r.p.Dir); prev != nil {
			if prev.StorePath == good.StorePath {
				good.Uploaded = slices.Clone(prev.Uploaded)
			}
			for sys, g := range good.Systems {
				if pg, ok := prev.Systems[sys]; ok && pg.StorePath == g.StorePath {
					g.Uploaded = slices.Clone(pg.Uploaded)
					good.Systems[sys] = g
				}
			}
		}
	}
	var rep *builder.CacheUpload
	var key string
	var err error
	if !r.uploadNow {
		// (In the background the build has ended for the menu already.)
		r.setPhase("uploading")
		// The CLI's upload (the VM's runs there, without the builder
		// lock) is on the VM users' record too, as the app's are
		// (Uploads.start): a stop in another process waits for it.
		if reg, ok := r.b.VMUsers.(Registrar); ok && reg != nil {
			defer reg.Register("the cache upload of " + filepath.Base(r.p.Dir))()
		}
	}
	rep, key, err = up.UploadCache(ctx, good.StorePath, good.Uploaded)
	if err == nil && key != "" && !slices.Contains(good.Uploaded, key) {
		good.Uploaded = append(good.Uploaded, key)
	}
	if err == nil {
		rep, err = r.uploadSystems(ctx, up, good, rep)
	}
	res := r.res
	res.Cache = rep
	if err == nil {
		if rep != nil && rep.Paths > 0 {
			res.Message += fmt.Sprintf("; uploaded %d path(s) (%s) to %s", rep.Paths, builder.HumanBytes(rep.Bytes), rep.URL)
			r.logLine("# cache: uploaded " + fmt.Sprint(rep.Paths) + " path(s) to " + rep.URL)
		}
		return
	}
	if res.Cache == nil {
		res.Cache = &builder.CacheUpload{}
	}
	if res.Cache.Error == "" {
		res.Cache.Error = err.Error()
	}
	r.logLine("# cache: " + res.Cache.Error)
	if res.Status != builder.StatusSucceeded {
		return // an earlier step's kind stands
	}
	var be *builder.Error
	if !errors.As(err, &be) {
		be = &builder.Error{Kind: builder.KindCache, Message: err.Error()}
	}
	built := res.Message
	r.fail(be)
	if be.Kind == builder.KindCache {
		res.Message = built + notUploaded + be.Message
	}
}

// uploadSystems uploads the closures of the project's other systems'
// images (systems = [...]) after its own, each recorded with that
// system's good output, so an unchanged system uploads nothing; rep sums
// what every upload did. The first failure ends it.
func (r *run) uploadSystems(ctx context.Context, up CacheUploader, good *store.GoodOutput, rep *builder.CacheUpload) (*builder.CacheUpload, error) {
	for _, sys := range slices.Sorted(maps.Keys(good.Systems)) {
		g := good.Systems[sys]
		srep, key, err := up.UploadCache(ctx, g.StorePath, g.Uploaded)
		if rep == nil {
			rep = srep
		} else if srep != nil {
			rep.Paths += srep.Paths
			rep.Bytes += srep.Bytes
			rep.DurationMS += srep.DurationMS
			if srep.Error != "" {
				rep.Error = sys + ": " + srep.Error
			}
		}
		if err != nil {
			if be := (*builder.Error)(nil); errors.As(err, &be) {
				named := *be
				named.Message = "the image for " + sys + ": " + be.Message
				return rep, &named
			}
			return rep, fmt.Errorf("the image for %s: %w", sys, err)
		}
		if key != "" && !slices.Contains(g.Uploaded, key) {
			g.Uploaded = append(g.Uploaded, key)
			good.Systems[sys] = g
		}
	}
	return rep, nil
}
