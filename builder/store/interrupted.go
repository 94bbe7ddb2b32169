package store

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// Interrupted returns the running markers of dir's builds whose nixpass
// ended before it recorded them (the marker is there and nobody holds it),
// oldest first. It only reads: it creates, locks for longer than a probe
// and records nothing; the next build or app start records them as killed
// (SweepKilled).
func (s *Store) Interrupted(dir string) []RunningMarker {
	ents, err := os.ReadDir(s.runningDir())
	if err != nil {
		return nil
	}
	var out []RunningMarker
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		m, ok := unheldMarker(filepath.Join(s.runningDir(), e.Name()))
		if ok && m.Project == dir {
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Started.Before(out[j].Started) })
	return out
}

// unheldMarker reads the marker at path when no build holds it locked.
func unheldMarker(path string) (RunningMarker, bool) {
	var m RunningMarker
	f, err := os.Open(path)
	if err != nil {
		return m, false
	}
	defer f.Close()
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		return m, false
	}
	if json.NewDecoder(f).Decode(&m) != nil || m.Token == "" {
		return m, false
	}
	return m, true
}
