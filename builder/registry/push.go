// Package registry pushes the image files nixpass builds to container
// registries with go-containerregistry: a docker-archive tarball, gzipped
// or not (what dockerTools.buildImage, buildLayeredImage and a streamed
// image's program write), to REGISTRY/REPO[:TAG], or one image per
// platform as a Docker manifest list under one tag.
//
// A re-push is cheap: push permission is checked first, blobs the
// registry has are not uploaded, each layer's compressed digest is cached
// in the state folder, and an unchanged image file is not read at all.
// The push always runs on this host, with Docker's credentials.
package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"golang.org/x/sync/errgroup"

	"nixpass/builder"
	"nixpass/builder/registry/ref"
)

// Image is one image file to push.
type Image struct {
	// File is the docker-archive tarball, gzipped or not.
	File string
}

// Options say what to push where.
type Options struct {
	// Ref is REGISTRY/REPO[:TAG].
	Ref string
	// Name is the project's folder, for progress events.
	Name string
	// Images are the image files: one, or one per platform (pushed as a
	// Docker manifest list).
	Images []Image
	// StateDir is nixpass's state folder: the push's cache, and the
	// decompressed copy of a gzipped image while it is pushed.
	StateDir string
	// Version is nixpass's version, part of the compressed-layer cache's
	// key.
	Version string
	// Transport is the TLS and plain-HTTP policy.
	Transport Transport
	// Keychain finds credentials; nil is Docker's (authn.DefaultKeychain:
	// $DOCKER_CONFIG or ~/.docker/config.json, with credsStore and
	// credHelpers run from PATH).
	Keychain authn.Keychain
	// Progress, if set, is called as layers upload, never by two
	// goroutines at once; it must not block.
	Progress func(Progress)
	// Log receives nixpass's "# push: …" lines.
	Log io.Writer
}

// PlatformDigest is one platform's manifest in a pushed manifest list.
type PlatformDigest = builder.PushPlatform

// Result is the "push" object of `build --json` and `push --json`:
// builder.PushResult, so builder.Result can carry it.
type Result = builder.PushResult

// nixHash is a Nix output hash, the tag dockerTools gives an image
// without one.
var nixHash = regexp.MustCompile(`^[0-9a-df-np-sv-z]{32}$`)

// Tag is the tag a push writes: the ref's, else the image's own (from its
// NAME:TAG), else "latest". An image tagged with its Nix output hash gets
// "latest".
func Tag(refTag, imageTag string) string {
	if refTag != "" {
		return refTag
	}
	if i := strings.LastIndexByte(imageTag, ':'); i >= 0 && !strings.Contains(imageTag[i:], "/") {
		if t := imageTag[i+1:]; t != "" && !nixHash.MatchString(t) {
			return t
		}
	}
	return "latest"
}

// Retries of an interrupted request or upload: 1 s, 3 s, 9 s, 27 s.
var backoff = remote.Backoff{Duration: time.Second, Factor: 3, Jitter: 0.1, Steps: 5}

// Push pushes o.Images to o.Ref. It returns the result (with Error set on
// failure) and, on failure, a *builder.Error of kind push. A failed push
// leaves the tag as it was: the manifest (or manifest list) is written
// last, after every blob it names is in the registry.
func Push(ctx context.Context, o Options) (*Result, error) {
	res := &Result{Ref: o.Ref}
	p, err := ref.Parse(o.Ref)
	if err != nil {
		e := &builder.Error{Kind: builder.KindConfig, Message: "push ref " + err.Error(), Hint: `Set push = "REGISTRY/REPO[:TAG]", e.g. "docker.io/USER/app:latest".`, Err: err}
		res.Error = e.Message
		return res, e
	}
	logf(o.Log, "%s: start", o.Ref)
	r, err := push(ctx, o, p, res)
	if err != nil {
		var be *builder.Error
		if !errors.As(err, &be) {
			be = failure(p.Registry, res.Ref, err)
		}
		res.Error = be.Message
		logf(o.Log, "%s: failed: %s", res.Ref, oneLine(be.Message))
		if be.Hint != "" {
			logf(o.Log, "%s: hint: %s", res.Ref, oneLine(be.Hint))
		}
		return res, be
	}
	logf(o.Log, "%s: pushed %s (%d layers uploaded, %d existing, %d bytes)", r.Ref, r.Digest, r.LayersUploaded, r.LayersExisting, r.BytesUploaded)
	return r, nil
}

func push(ctx context.Context, o Options, p ref.Ref, res *Result) (*Result, error) {
	if len(o.Images) == 0 {
		return res, errors.New("no image file to push")
	}
	rt, err := o.Transport.roundTripper()
	if err != nil {
		return res, &builder.Error{Kind: builder.KindConfig, Message: err.Error(), Hint: "Fix [registry] ca_files in nixpass's config.", Err: err}
	}
	kc := o.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	c := loadCache(o.StateDir)
	defer c.save()
	var nameOpts []name.Option
	if o.Transport.allowsHTTP(p.Registry) {
		nameOpts = append(nameOpts, name.Insecure)
	}
	repo, err := name.NewRepository(p.Registry+"/"+p.Repository, nameOpts...)
	if err != nil {
		return res, err
	}
	tempDir := filepath.Join(o.StateDir, "registry", "tmp")
	var imgs []*image
	var srcs []*source
	defer func() {
		for _, s := range srcs {
			s.close()
		}
	}()
	tr := newTracker(o.Name, "", o.Progress)
	for _, im := range o.Images {
		s := &source{file: im.File, tempDir: tempDir, cache: c, prog: tr}
		srcs = append(srcs, s)
		img, err := newImage(s, o.Version, repo)
		if err != nil {
			return res, &builder.Error{Kind: builder.KindPush, Message: fmt.Sprintf("push to %s failed: %v", p.Registry, err), Hint: "Build the project again: the image file is not a docker-archive nixpass can read.", Err: err}
		}
		imgs = append(imgs, img)
	}
	tag, err := name.NewTag(repo.Name()+":"+Tag(p.Tag, imgs[0].info.Tag), nameOpts...)
	if err != nil {
		return res, err
	}
	res.Ref = p.WithTag(tag.TagStr()).String()
	tr.p.Ref = res.Ref

	if err := remote.CheckPushPermission(tag, kc, rt); err != nil {
		return res, err
	}
	ropts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(kc), remote.WithTransport(rt), remote.WithJobs(4), remote.WithRetryBackoff(backoff)}
	for attempt := 0; ; attempt++ {
		out, err := write(ctx, tag, imgs, tr, ropts)
		if err == nil {
			out.Ref = res.Ref
			recordPushed(c, repo, imgs)
			return out, nil
		}
		if attempt > 0 || !staleDigest(err) || !dropCached(imgs) {
			return res, err
		}
		logf(o.Log, "%s: the registry refused a cached layer digest; compressing again", res.Ref)
	}
}

// write pushes imgs under tag, unless the registry already serves
// exactly that manifest (or manifest list) there.
func write(ctx context.Context, tag name.Tag, imgs []*image, tr *tracker, ropts []remote.Option) (*Result, error) {
	res := &Result{}
	if err := digestLayers(ctx, imgs); err != nil {
		return res, err
	}
	idx, err := index(imgs)
	if err != nil {
		return res, err
	}
	var want v1.Hash
	if idx != nil {
		want, err = idx.Digest()
	} else {
		want, err = imgs[0].Digest()
	}
	if err != nil {
		return res, err
	}
	unique := map[string]*layer{}
	var total int64
	for _, img := range imgs {
		for _, l := range img.layers {
			b, _ := l.info()
			if unique[b.Digest] == nil {
				unique[b.Digest] = l
				total += b.Size
			}
			l.opened.Store(false)
			l.sent.Store(0)
		}
	}
	tr.setTotals(len(unique), total)
	served, err := remote.Head(tag, ropts...)
	if err != nil || served.Digest != want {
		if idx != nil {
			err = remote.WriteIndex(tag, idx, ropts...)
		} else {
			err = remote.Write(tag, imgs[0], ropts...)
		}
		if err != nil {
			return res, err
		}
	}
	for _, l := range unique {
		if l.opened.Load() {
			res.LayersUploaded++
			res.BytesUploaded += l.sent.Load()
		}
	}
	res.LayersExisting = len(unique) - res.LayersUploaded
	if served == nil || served.Digest != want {
		if served, err = remote.Head(tag, ropts...); err != nil {
			return res, fmt.Errorf("read back %s: %w", tag, err)
		}
	}
	res.Digest = served.Digest.String()
	if idx != nil {
		for _, img := range imgs {
			d, _ := img.Digest()
			res.Platforms = append(res.Platforms, PlatformDigest{Platform: img.Platform().String(), Digest: d.String()})
		}
	}
	tr.finish()
	return res, nil
}

// staleDigest reports an upload the registry refused because its digest
// or size is not that of the bytes sent: a cached compressed digest that
// no longer matches what this build of nixpass writes.
func staleDigest(err error) bool {
	return status(0, transport.DigestInvalidErrorCode, transport.SizeInvalidErrorCode)(err) ||
		strings.Contains(err.Error(), "with Body length")
}

// digestLayers learns every layer's compressed digest and size, from the
// cache or, for layers nixpass has not compressed before, by compressing
// them, several at once.
func digestLayers(ctx context.Context, imgs []*image) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(max(1, min(4, runtime.NumCPU())))
	for _, img := range imgs {
		for _, l := range img.layers {
			g.Go(func() error {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				_, err := l.info()
				return err
			})
		}
	}
	return g.Wait()
}

// dropCached forgets the cached digests of the layers an upload read:
// one of them is what the registry refused. It reports whether any was
// dropped (and so whether compressing again can help).
func dropCached(imgs []*image) bool {
	dropped := false
	for _, img := range imgs {
		for _, l := range img.layers {
			l.mu.Lock()
			if l.opened.Load() && l.fromCache {
				img.src.cache.dropLayer(l.key)
				l.blob, l.fromCache, dropped = nil, false, true
			}
			l.mu.Unlock()
		}
		img.mu.Lock()
		img.manifest = nil
		img.mu.Unlock()
	}
	return dropped
}

func recordPushed(c *cache, repo name.Repository, imgs []*image) {
	for _, img := range imgs {
		for _, l := range img.layers {
			if b, err := l.info(); err == nil {
				c.pushedTo(b.Digest, repo.RegistryStr()+"/"+repo.RepositoryStr())
			}
		}
	}
}

func logf(w io.Writer, format string, a ...any) {
	if w != nil {
		fmt.Fprintf(w, "# push: "+format+"\n", a...)
	}
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }
