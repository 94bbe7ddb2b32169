package cache

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"

	"github.com/google/renameio/v2"
)

// Record is what was uploaded where: for each cache (by PublicURL, so
// the record holds no credential or key path) the store paths of the
// last good output that reached it. It is kept beside that output's
// build record: an up-to-date build finds its paths here and runs
// nothing; a failed upload leaves the record as it was, so the next build
// tries again.
type Record struct {
	// Uploaded maps a cache's public URL to the paths uploaded to it.
	Uploaded map[string][]string `json:"uploaded"`
}

// Has reports whether every one of paths was uploaded to url. A nil
// record has nothing.
func (r *Record) Has(url string, paths []string) bool {
	if r == nil || len(paths) == 0 {
		return false
	}
	have := r.Uploaded[PublicURL(url)]
	for _, p := range paths {
		if !slices.Contains(have, p) {
			return false
		}
	}
	return true
}

// Add records paths as uploaded to url, in place of what was recorded
// for it before (the record follows the last good output, so it stays
// small).
func (r *Record) Add(url string, paths []string) {
	if r == nil {
		return
	}
	if r.Uploaded == nil {
		r.Uploaded = map[string][]string{}
	}
	r.Uploaded[PublicURL(url)] = slices.Clone(paths)
}

// LoadRecord reads the record at path; a missing file is an empty record.
func LoadRecord(path string) (*Record, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Record{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read upload record: %w", err)
	}
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		// A torn or foreign file costs one upload, never a build.
		return &Record{}, nil
	}
	return &r, nil
}

// Save writes the record to path atomically.
func (r *Record) Save(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("save upload record: %w", err)
	}
	if err := renameio.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("save upload record: %w", err)
	}
	return nil
}
