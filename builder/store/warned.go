package store

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"nixpass/builder"
)

// FirstWarning records that the warning named what was given for the
// project in dir and reports whether this is the first time.
func (s *Store) FirstWarning(dir, what string) bool {
	what = strings.NewReplacer("/", "-", string(filepath.Separator), "-").Replace(what)
	p := filepath.Join(s.StateDir, "warned", builder.ProjectKey(dir)+"-"+what)
	if _, err := os.Stat(p); err == nil {
		return false
	} else if !errors.Is(err, fs.ErrNotExist) {
		return true
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err == nil {
		_ = os.WriteFile(p, nil, 0o600)
	}
	return true
}
