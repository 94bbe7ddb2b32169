package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// NoteDerivation records what the running build token is building, drv
// (its derivations, as the script said them), beside its marker: a file
// of its own replaced whole (a temporary file and a rename, 0600), so a
// reader sees the old value or the new one, never a torn one, and the
// marker's lock (on the marker's own file) is untouched.
func (s *Store) NoteDerivation(token, drv string) error {
	if err := writeRecord(s.drvPath(token), []byte(drv+"\n"), false); err != nil {
		return fmt.Errorf("note the running build's derivation: %w", err)
	}
	return nil
}

func (s *Store) drvPath(token string) string { return filepath.Join(s.runningDir(), token+".drv") }

// Running lists the builds of the project in dir that are in progress
// now (their marker is locked by a live build), oldest first.
func (s *Store) Running(dir string) []RunningMarker { return s.markers(dir, true) }

// RunningRequest lists the builds in progress in other processes of the
// request whose builder.Project.RequestKey is key, in dir, oldest first:
// the builds a new build of that request may join.
func (s *Store) RunningRequest(dir, key string) []RunningMarker {
	var out []RunningMarker
	for _, m := range s.Running(dir) {
		if m.PID != os.Getpid() && m.Request == key {
			out = append(out, m)
		}
	}
	return out
}

// Interrupted returns the running markers of dir's builds whose nixpass
// ended before it recorded them (the marker is there and nobody holds it),
// oldest first; the next build or app start records them as killed
// (SweepKilled).
func (s *Store) Interrupted(dir string) []RunningMarker { return s.markers(dir, false) }

// markers lists dir's running markers that a live build holds (held) or
// that nobody holds (!held), oldest first. It only reads: it creates
// nothing and locks no longer than a probe.
func (s *Store) markers(dir string, held bool) []RunningMarker {
	ents, err := os.ReadDir(s.runningDir())
	if err != nil {
		return nil
	}
	var out []RunningMarker
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		m, locked, ok := readMarker(filepath.Join(s.runningDir(), e.Name()))
		if ok && locked == held && m.Project == dir {
			if b, err := os.ReadFile(s.drvPath(m.Token)); err == nil {
				m.Drv = strings.TrimSpace(string(b))
			}
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b RunningMarker) int { return a.Started.Compare(b.Started) })
	return out
}

// readMarker reads the marker at path and whether a build holds it
// locked (a shared lock cannot be had beside the build's exclusive one).
func readMarker(path string) (m RunningMarker, locked, ok bool) {
	f, err := os.Open(path)
	if err != nil {
		return m, false, false
	}
	defer f.Close()
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	locked = errors.Is(err, syscall.EWOULDBLOCK)
	if err != nil && !locked {
		return m, false, false
	}
	if json.NewDecoder(f).Decode(&m) != nil || m.Token == "" {
		return m, false, false
	}
	return m, locked, true
}
