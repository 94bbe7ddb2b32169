package core

import (
	"context"
	"slices"

	"nixpass/builder"
	"nixpass/builder/build"
	"nixpass/builder/cache"
	"nixpass/builder/machine"
	"nixpass/builder/runner"
)

// settings are the cache's pull settings as a machine's nix.conf lines.
func settings(s []cache.Setting) []machine.Setting {
	out := make([]machine.Setting, 0, len(s))
	for _, x := range s {
		out = append(out, machine.Setting{Name: x.Name, Value: x.Value})
	}
	return out
}

// cacheUploader is [cache] upload for the build, or nil: set, on the
// local backend, where the closure is in this host's store. (In the VM
// the upload must run inside it: issue 24, item 3.)
func (e *Env) cacheUploader() build.CacheUploader {
	c := e.Config.Cache
	if c.Upload == "" || e.VM != nil {
		return nil
	}
	return hostUpload{cache.Upload{URL: c.Upload, SecretKeyFile: c.SecretKeyFile, Runner: runner.Exec{}}}
}

// hostUpload uploads from this host's store with builder/cache.
type hostUpload struct{ up cache.Upload }

// UploadCache implements build.CacheUploader.
func (h hostUpload) UploadCache(ctx context.Context, storePath string, done []string) (*builder.CacheUpload, error) {
	rec := &cache.Record{}
	if url := cache.PublicURL(h.up.URL); slices.Contains(done, url) {
		rec.Add(h.up.URL, []string{storePath})
	}
	return h.up.Run(ctx, []string{storePath}, rec)
}
