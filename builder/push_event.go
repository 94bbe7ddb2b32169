package builder

import (
	"fmt"
	"strings"
)

// PushProgress is the state of a push to a registry: what `app --json`
// prints as a "PushProgress" line, what the menu and a terminal's
// progress bar show. builder/registry sends it as layers upload.
type PushProgress struct {
	At
	// Project is the project's folder (or, for a push of a file, its
	// name).
	Project string `json:"project"`
	// Ref is where the image goes, REGISTRY/REPO:TAG.
	Ref string `json:"ref"`
	// Layers is how many layers are done (uploaded, or found in the
	// registry once the push ends); LayersTotal how many there are.
	Layers      int `json:"layers"`
	LayersTotal int `json:"layers_total"`
	// Bytes is what was uploaded so far; BytesTotal the compressed size
	// of every layer.
	Bytes      int64 `json:"bytes"`
	BytesTotal int64 `json:"bytes_total"`
	// Done is set on the last event of a push that succeeded.
	Done bool `json:"done,omitempty"`
}

// PushResult is the "push" object of `build --json` and `push --json`,
// and what history records of a push.
type PushResult struct {
	// Ref is the tag pushed, REGISTRY/REPO:TAG.
	Ref string `json:"ref"`
	// Digest is what the registry serves for Ref after the push: the
	// manifest's, or the manifest list's.
	Digest         string `json:"digest"`
	LayersUploaded int    `json:"layers_uploaded"`
	LayersExisting int    `json:"layers_existing"`
	BytesUploaded  int64  `json:"bytes_uploaded"`
	// Platforms are the manifests of a multi-platform push.
	Platforms []PushPlatform `json:"platforms,omitempty"`
	// Error is the failure's message, when the push failed.
	Error string `json:"error,omitempty"`
}

// PushPlatform is one platform's manifest in a pushed manifest list.
type PushPlatform struct {
	Platform string `json:"platform"`
	Digest   string `json:"digest"`
}

// MenuLine is the menu's line: "Pushing NAME: 3/7 layers, 120/400 MB".
func (p PushProgress) MenuLine(name string) string {
	return fmt.Sprintf("Pushing %s: %d/%d layers, %d/%d MB", name, p.Layers, p.LayersTotal, megabytes(p.Bytes), megabytes(p.BytesTotal))
}

// megabytes rounds n to whole decimal megabytes, as the menu counts them.
func megabytes(n int64) int64 { return (n + 500_000) / 1_000_000 }

// Short is "REF@sha256:0123456789ab…": the ref and the first 12 hex
// digits of the digest, as the CLI, the menu and notifications show a
// push.
func (p *PushResult) Short() string {
	algo, hex, ok := strings.Cut(p.Digest, ":")
	if ok && len(hex) > 12 {
		return p.Ref + "@" + algo + ":" + hex[:12] + "…"
	}
	return p.Ref + "@" + p.Digest
}

// Pushed reports whether r's image was pushed: its push object holds no
// error.
func (r *Result) Pushed() bool {
	return r != nil && r.Push != nil && r.Push.Error == "" && r.Push.Digest != ""
}
