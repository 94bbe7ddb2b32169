package builder

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// MoveProject moves the state kept for the project folder spelled from to
// its spelling to (the canonical path the config is now read in): the
// build record with the last good image, the build logs and the one-time
// warnings given. State already kept under to wins; nothing is removed
// that was not moved. Moving twice, or a project with no state, is a no-op.
func (s *Store) MoveProject(from, to string) error {
	if projectKey(from) == projectKey(to) {
		return nil
	}
	moves := [][2]string{
		{s.recordPath(from), s.recordPath(to)},
		{s.logFolder(from), s.logFolder(to)},
	}
	warned, _ := filepath.Glob(filepath.Join(s.StateDir, "warned", projectKey(from)+"-*"))
	for _, w := range warned {
		rest := strings.TrimPrefix(filepath.Base(w), projectKey(from))
		moves = append(moves, [2]string{w, filepath.Join(filepath.Dir(w), projectKey(to)+rest)})
	}
	var errs []error
	for _, m := range moves {
		if _, err := os.Lstat(m[0]); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if _, err := os.Lstat(m[1]); err == nil {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(m[1]), 0o755); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := os.Rename(m[0], m[1]); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("move the state of %s to %s: %w", from, to, err)
	}
	return nil
}

// logFolder is where the build logs of the project in dir are kept.
func (s *Store) logFolder(dir string) string {
	return filepath.Join(s.LogDir, "builds", safeName(filepath.Base(dir))+"-"+projectKey(dir)[:8])
}

// LatestLog is the newest build log of the project in dir, or "".
func (s *Store) LatestLog(dir string) string {
	logs, _ := filepath.Glob(filepath.Join(s.logFolder(dir), "*.log"))
	if len(logs) == 0 {
		return ""
	}
	// Names are start times (20060102-150405.000.log): the last sorts newest.
	return logs[len(logs)-1]
}
