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
// local backend, where the closure is in this host's store. In the VM the
// build script uploads (scriptUploader).
func (e *Env) cacheUploader() build.CacheUploader {
	c := e.Config.Cache
	if c.Upload == "" || e.VM != nil {
		return nil
	}
	return hostUpload{up: cache.Upload{URL: c.Upload, SecretKeyFile: c.SecretKeyFile, Runner: runner.Exec{}},
		deps: c.IncludeBuildDeps, roots: filepath.Join(e.StateDir, "upload-roots")}
}

// scriptUploader is [cache] upload for builds in the VM, or nil: the
// build script uploads there, in its own run, where the closure is.
func (e *Env) scriptUploader() build.ScriptUploader {
	c := e.Config.Cache
	if c.Upload == "" || e.VM == nil {
		return nil
	}
	return vmUpload{url: c.Upload, deps: c.IncludeBuildDeps}
}

// vmUpload turns the VM's build script's upload into the result's.
type vmUpload struct {
	url  string
	deps bool
}

// Key implements build.ScriptUploader.
func (u vmUpload) Key() string {
	if u.deps {
		return cache.PublicURL(u.url) + depsMark
	}
	return cache.PublicURL(u.url)
}

// ScriptArgs implements build.ScriptUploader.
func (u vmUpload) ScriptArgs(uploaded string) []string {
	args := []string{"--upload"}
	if uploaded != "" {
		args = append(args, "--uploaded", uploaded)
	}
	if u.deps {
		args = append(args, "--upload-deps")
	}
	return args
}

// ScriptResult implements build.ScriptUploader.
func (u vmUpload) ScriptResult(rep build.ScriptUpload) (*builder.CacheUpload, string, error) {
	out := &builder.CacheUpload{URL: cache.PublicURL(u.url), DurationMS: rep.Duration.Milliseconds()}
	key := u.Key()
	if rep.Ran && !rep.Deps {
		// The build-time closure was not in the VM's store: the run-time
		// closure went alone, and is recorded so.
		key = cache.PublicURL(u.url)
	}
	if rep.Failed {
		be := cache.Classify(u.url, rep.Output, fmt.Errorf("nix copy in the builder VM exited with status %d", rep.Status))
		if strings.HasPrefix(u.url, "ssh") {
			// The VM's ssh has only what vm setup copied for it.
			be.Hint += "; the VM reaches the cache with the Host of ~/.ssh/config, its key and the known_hosts line copied at vm create or: nixpass vm setup (run it after changing them)"
		}
		out.Error = be.Message
		return out, key, be
	}
	out.Paths, out.Bytes = rep.Paths, rep.Bytes
	return out, key, nil
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
