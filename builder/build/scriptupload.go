package build

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"nixpass/builder"
)

// ScriptUploader is the team cache's upload where it runs inside the
// build script's own run (the VM's: the closure is in the VM, and a
// session of its own would cost a Multipass call): the build asks for
// it with arguments, and the script reports what it did on its protocol
// lines (nixpass-build.sh, "upload-").
type ScriptUploader interface {
	// Key is what a complete upload is recorded as with the good output
	// (the cache's public URL, marked when it takes the build-time
	// closure too).
	Key() string
	// ScriptArgs are the build script's arguments that ask for the
	// upload; uploaded is the store path whose upload under Key is
	// recorded already ("": none), which the script does not upload
	// again.
	ScriptArgs(uploaded string) []string
	// ScriptResult turns what the script said into the result's cache
	// object and the key to record; a failed upload is an error of kind
	// cache.
	ScriptResult(rep ScriptUpload) (*builder.CacheUpload, string, error)
}

// ScriptUpload is what the build script said about its upload.
type ScriptUpload struct {
	// Ran is set when the script started an upload.
	Ran bool
	// Deps is set when the build-time closure went too.
	Deps bool
	// Paths and Bytes are what nix copy copied.
	Paths int
	Bytes int64
	// Duration is from the upload's start to its end.
	Duration time.Duration
	// Failed is set, with the exit Status and Nix's last lines in Output,
	// when the upload failed.
	Failed bool
	Status int
	Output string
	// started is when the script said upload-start.
	started time.Time
}

// line takes one "upload-" protocol line.
func (u *ScriptUpload) line(key, val string) {
	switch key {
	case "upload-start":
		u.Ran, u.started = true, time.Now()
	case "upload-deps":
		u.Deps = true
	case "uploaded":
		p, b, _ := strings.Cut(val, " ")
		u.Paths, _ = strconv.Atoi(p)
		u.Bytes, _ = strconv.ParseInt(b, 10, 64)
		u.Duration = time.Since(u.started)
	case "upload-failed":
		u.Failed = true
		u.Status, _ = strconv.Atoi(val)
		u.Duration = time.Since(u.started)
	case "upload-err":
		u.Output += val + "\n"
	}
}

// uploadedPath is the store path whose upload to su's cache the last good
// output records, or "".
func (r *run) uploadedPath(su ScriptUploader) string {
	if r.b.Store == nil {
		return ""
	}
	if g := r.b.Store.LastGood(r.p.Dir); g != nil && slices.Contains(g.Uploaded, su.Key()) {
		return g.StorePath
	}
	return ""
}

// scriptUpload is the result of the upload the build script ran (or
// left out: done holds its key already).
func (r *run) scriptUpload(su ScriptUploader, done []string) (*builder.CacheUpload, string, error) {
	r.mu.Lock()
	rep := r.report.upload
	r.mu.Unlock()
	if !rep.Ran && slices.Contains(done, su.Key()) {
		return su.ScriptResult(rep)
	}
	if !rep.Ran {
		rep.Failed, rep.Output = true, "the build script did not upload "+r.report.storePath
	}
	return su.ScriptResult(rep)
}
