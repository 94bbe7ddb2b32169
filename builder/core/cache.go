package core

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

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
	return hostUpload{up: cache.Upload{URL: c.Upload, SecretKeyFile: c.SecretKeyFile, Runner: runner.Exec{}},
		deps: c.IncludeBuildDeps, roots: filepath.Join(e.StateDir, "gcroots")}
}

// hostUpload uploads from this host's store with builder/cache.
type hostUpload struct {
	up cache.Upload
	// deps is [cache] include_build_deps; roots is the folder of the
	// garbage-collector roots that keep the build-time closure until its
	// upload ends.
	deps  bool
	roots string
}

// depsMark is added to the cache's URL in the upload record when the
// build-time closure went too: turning include_build_deps on uploads
// again.
const depsMark = "#build-deps"

// UploadCache implements build.CacheUploader.
func (h hostUpload) UploadCache(ctx context.Context, storePath string, done []string) (*builder.CacheUpload, string, error) {
	key := cache.PublicURL(h.up.URL)
	if h.deps {
		key += depsMark
	}
	if slices.Contains(done, key) {
		return &builder.CacheUpload{URL: cache.PublicURL(h.up.URL)}, key, nil
	}
	paths := []string{storePath}
	if h.deps {
		more, release, err := h.buildDeps(ctx, storePath)
		if err == nil {
			defer release(context.WithoutCancel(ctx))
			paths = append(paths, more...)
		} else {
			// The build-time closure is not here (the image was
			// substituted, or its inputs collected): the run-time closure
			// still goes, recorded as that alone.
			key = cache.PublicURL(h.up.URL)
		}
	}
	rep, err := h.up.Run(ctx, paths, &cache.Record{})
	return rep, key, err
}

// buildDeps is the build-time closure of the derivation that made
// storePath, kept alive by roots until release.
func (h hostUpload) buildDeps(ctx context.Context, storePath string) ([]string, func(context.Context), error) {
	res, err := runner.Exec{}.Run(ctx, runner.Cmd{Name: "nix-store", Args: []string{"--query", "--deriver", "--", storePath}})
	drv := ""
	if err == nil {
		drv = strings.TrimSpace(string(res.Stdout))
	}
	if drv == "" || drv == "unknown-deriver" {
		return nil, nil, fmt.Errorf("the derivation of %s is not known to this store", storePath)
	}
	if err := os.MkdirAll(h.roots, 0o700); err != nil {
		return nil, nil, fmt.Errorf("make %s: %w", h.roots, err)
	}
	sum := sha256.Sum256([]byte(storePath))
	return h.up.BuildDeps(ctx, drv, filepath.Join(h.roots, "upload-"+hex.EncodeToString(sum[:6])))
}

// quitUploadWait bounds how long quitting waits for cache uploads.
const quitUploadWait = 2 * time.Minute

// waitUploads lets the running uploads to the team cache finish before
// the app quits, for at most quitUploadWait: an upload cut short is
// retried by the next build (nothing recorded it).
func (a *App) waitUploads() {
	n := a.uploads.Running()
	if n == 0 {
		return
	}
	a.logf("waiting for %d upload(s) to the team cache to finish", n)
	ctx, cancel := context.WithTimeout(context.Background(), quitUploadWait)
	defer cancel()
	if err := a.uploads.Wait(ctx); err != nil {
		a.logf("quitting during an upload to the team cache: the next build uploads again")
	}
}
