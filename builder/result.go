// Package builder holds the words every part of nixpass shares: the kinds
// of a build's outcome with their exit codes (Kind), a build's Result and
// classified Error, the events long work publishes on one Bus and the
// Snapshot the menu is drawn from, and Project, the one build request. The
// work itself is done by the packages that import it: build runs a build on a machine (machine,
// machine/local, machine/vm), store keeps what happened, docker loads the
// image, diagnose says why a build failed; core wires them to the config.
//
// It imports no other nixpass package: every other package may import it.
package builder

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Kind classifies the outcome of a build. Each kind maps to one exit code
// of `nixpass build` and to one remedy.
type Kind string

// The outcome kinds. Their string values appear in `nixpass build --json`
// and in history records, so they are part of the interface.
const (
	KindOK          Kind = "ok"
	KindConfig      Kind = "config"
	KindEval        Kind = "eval"
	KindBuild       Kind = "build"
	KindOOM         Kind = "oom"
	KindDiskFull    Kind = "disk_full"
	KindUnavailable Kind = "unavailable"
	KindTimeout     Kind = "timeout"
	KindCancelled   Kind = "cancelled"
	// KindNetwork: a download failed (DNS, refused, TLS, HTTP, proxy).
	KindNetwork Kind = "network"
	// KindPlatform: the derivation needs a system or feature the builder lacks.
	KindPlatform Kind = "platform"
	// KindDocker is an image that was built (and kept) but not loaded
	// into Docker.
	KindDocker Kind = "docker"
	// KindPush is an image that was built (and kept, and loaded) but not
	// pushed to its registry.
	KindPush Kind = "push"
	// KindCache is an image that was built (and kept) but not uploaded
	// to the team's binary cache ([cache] upload).
	KindCache Kind = "cache"
)

// ExitCode is the documented exit status of `nixpass build` for k.
func (k Kind) ExitCode() int {
	switch k {
	case KindOK:
		return 0
	case KindConfig:
		return 1
	case KindEval:
		return 2
	case KindBuild:
		return 3
	case KindOOM:
		return 4
	case KindDiskFull:
		return 5
	case KindUnavailable:
		return 6
	case KindTimeout:
		return 7
	case KindCancelled:
		return 130
	case KindNetwork:
		return 8
	case KindPlatform:
		return 9
	case KindDocker:
		return 10
	case KindPush:
		return 11
	case KindCache:
		return 12
	}
	return 3
}

// Title is a short human name for k, for notifications and menus.
func (k Kind) Title() string {
	switch k {
	case KindOK:
		return "succeeded"
	case KindConfig:
		return "configuration error"
	case KindEval:
		return "Nix evaluation error"
	case KindBuild:
		return "build failed"
	case KindOOM:
		return "out of memory"
	case KindDiskFull:
		return "disk full"
	case KindUnavailable:
		return "builder unavailable"
	case KindTimeout:
		return "timed out"
	case KindCancelled:
		return "cancelled"
	case KindNetwork:
		return "download failed"
	case KindPlatform:
		return "wrong platform"
	case KindDocker:
		return "built, not loaded into Docker"
	case KindPush:
		return "built, not pushed"
	case KindCache:
		return "built, not uploaded to the cache"
	}
	return string(k)
}

// BuiltLocal is Result.BuiltOn for an image built on the build machine
// itself (the VM, or this host with the local backend).
const BuiltLocal = "local"

// Status values of a Result.
const (
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
)

// Result is the outcome of one build, as printed by `nixpass build --json`
// and stored as the project's last result.
type Result struct {
	Project string `json:"project"`
	Status  string `json:"status"`
	Kind    Kind   `json:"kind"`
	Message string `json:"message"`
	Hint    string `json:"hint"`
	// Action is the short remedy menus and notifications show (at most 60
	// characters, no command line); Hint is the full one.
	Action string `json:"action,omitempty"`
	// Reason is why the build ran ("manual", "change", "start", ...): a
	// build is manual when any request merged into it was manual.
	Reason     string `json:"reason,omitempty"`
	StorePath  string `json:"store_path"`
	Output     string `json:"output"`
	Bytes      int64  `json:"bytes"`
	DurationMS int64  `json:"duration_ms"`
	UpToDate   bool   `json:"up_to_date"`
	// GrowMemory is the VM memory, in bytes, nixpass would grow to and
	// rebuild with after this build ran out of memory at one job, when
	// [vm] auto_grow is off: the menu offers "Rebuild NAME with N GB"
	// until the project's next build. 0 otherwise.
	GrowMemory int64  `json:"grow_memory,omitempty"`
	Log        string `json:"log"`
	Image      string `json:"image,omitempty"`
	// Loaded is what `docker load` reported loading (NAME:TAG, or the
	// image ID of an untagged archive) when the project has docker_load.
	Loaded string `json:"loaded,omitempty"`
	// BuiltOn is where the image was built: a remote builder's URI, or
	// BuiltLocal; empty when nothing was built (up to date, or every
	// path came from a cache).
	BuiltOn string `json:"built_on,omitempty"`
	// Platform is the image's os/architecture from its config, such as
	// "linux/arm64".
	Platform string `json:"platform,omitempty"`
	// Push is the push to the project's registry after the build (with
	// Error set when it failed); nil when the project has no push ref.
	Push *PushResult `json:"push,omitempty"`
	// Warning reports a problem that does not fail the build, such as an
	// image whose manifest names no tag, or a fallback from remote
	// builders to this machine; the image itself is good. (A failed
	// `docker load` is KindDocker.)
	Warning string `json:"warning,omitempty"`
	// Attempts are the build's runs of Nix, in order: more than one when
	// nixpass rebuilt after an OOM kill. Kind is that of the last one
	// until the image is loaded and pushed.
	Attempts []Attempt `json:"attempts"`
	// Cache is the upload to [cache] upload after the build, when one
	// is configured.
	Cache    *CacheUpload `json:"cache,omitempty"`
	Started  time.Time    `json:"started"`
	Finished time.Time    `json:"finished"`
}

// CacheUpload is the "cache" object of a result: what one upload copied
// where. URL carries neither user info nor query, so no credential or key
// path reaches JSON or history.
type CacheUpload struct {
	// URL is the store uploaded to, shown without user info or query.
	URL string `json:"url"`
	// Paths is how many store paths were copied (0: all were there).
	Paths int `json:"paths"`
	// Bytes is the NAR size of the paths copied, before compression.
	Bytes int64 `json:"bytes"`
	// DurationMS is the wall time of the upload.
	DurationMS int64 `json:"duration_ms"`
	// Error is the failure's message, when the upload failed.
	Error string `json:"error,omitempty"`
}

// Attempt is one run of Nix within a build.
type Attempt struct {
	// Kind is how the attempt ended (KindOK when Nix succeeded).
	Kind Kind `json:"kind"`
	// MaxJobs and Cores are the max-jobs and cores Nix ran with: the
	// project's, or Nix's own effective values (0 when they were not read).
	MaxJobs int `json:"max_jobs"`
	Cores   int `json:"cores"`
	// Memory is the VM's memory in bytes during the attempt (0 for the
	// local backend).
	Memory int64 `json:"memory"`
	// DurationMS is the attempt's wall time.
	DurationMS int64 `json:"duration_ms"`
	// System is the Nix system the attempt built for, in a build of a
	// project with systems = [...] (one image per system); "" otherwise.
	System string `json:"system,omitempty"`
}

// Succeeded reports whether the build produced (or kept) a good image.
func (r *Result) Succeeded() bool { return r != nil && r.Status == StatusSucceeded }

// Duration is the wall time of the build.
func (r *Result) Duration() time.Duration { return time.Duration(r.DurationMS) * time.Millisecond }

// Error is a classified failure: what happened (Message) and what the user
// should do about it (Hint). Every failure a user can hit ends up as one.
type Error struct {
	Kind    Kind
	Message string
	Hint    string
	// Action is the short remedy for menus and notifications, if any.
	Action string
	// Err is the underlying cause, if any, for errors.Is/As.
	Err error
}

// Error returns the message followed by the hint.
func (e *Error) Error() string {
	if e.Hint == "" {
		return e.Message
	}
	return e.Message + "\n" + e.Hint
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf builds a classified error with a hint.
func Errorf(kind Kind, hint, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	return &Error{Kind: kind, Message: err.Error(), Hint: hint, Err: errors.Unwrap(err)}
}

// KindOf returns the kind of err: KindOK for nil, the Kind of a wrapped
// *Error, and KindBuild for anything unclassified.
func KindOf(err error) Kind {
	if err == nil {
		return KindOK
	}
	var be *Error
	if errors.As(err, &be) {
		return be.Kind
	}
	return KindBuild
}

// BuilderHost shortens a builder URI for menus: "ssh-ng://me@bigbox"
// becomes "me@bigbox".
func BuilderHost(uri string) string {
	if _, rest, ok := strings.Cut(uri, "://"); ok {
		uri = rest
	}
	host, _, _ := strings.Cut(uri, "?")
	return host
}
