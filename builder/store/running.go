package store

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Running lists the builds of the project in dir that are in progress
// now (their marker is locked by a live build), oldest first. It changes
// nothing: a marker nobody holds is left for SweepKilled.
func (s *Store) Running(dir string) []RunningMarker {
	ents, err := os.ReadDir(s.runningDir())
	if err != nil {
		return nil
	}
	var out []RunningMarker
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		path := filepath.Join(s.runningDir(), e.Name())
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		var m RunningMarker
		if json.Unmarshal(b, &m) != nil || m.Project != dir {
			continue
		}
		l, free, err := TryLock(path)
		if err != nil {
			continue
		}
		if free {
			l.Release()
			continue
		}
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b RunningMarker) int { return a.Started.Compare(b.Started) })
	return out
}
