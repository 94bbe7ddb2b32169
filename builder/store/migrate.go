package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"nixpass/builder"
)

// MoveProject moves the state kept for the project folder spelled from to
// its spelling to (the canonical path the config is now read in): the
// build record with the last good image, the build logs and the one-time
// warnings given. State already kept under to wins; nothing is removed
// that was not moved. Moving twice, or a project with no state, is a no-op.
func (s *Store) MoveProject(from, to string) error {
	if builder.ProjectKey(from) == builder.ProjectKey(to) {
		return nil
	}
	moves := [][2]string{
		{s.recordPath(from), s.recordPath(to)},
		{s.logFolder(from), s.logFolder(to)},
	}
	warned, _ := filepath.Glob(filepath.Join(s.StateDir, "warned", builder.ProjectKey(from)+"-*"))
	for _, w := range warned {
		rest := strings.TrimPrefix(filepath.Base(w), builder.ProjectKey(from))
		moves = append(moves, [2]string{w, filepath.Join(filepath.Dir(w), builder.ProjectKey(to)+rest)})
	}
	var errs []error
	for _, m := range moves {
		if _, err := os.Lstat(m[0]); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if _, err := os.Lstat(m[1]); err == nil {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(m[1]), 0o700); err != nil {
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
