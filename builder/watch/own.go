package watch

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
)

// ownPaths cleans nixpass's own paths and adds their real paths, so a
// state folder reached through a symlink is recognised either way.
func ownPaths(in []string) []string {
	var out []string
	for _, p := range in {
		if p == "" {
			continue
		}
		out = append(out, filepath.Clean(p))
		if real, err := filepath.EvalSymlinks(p); err == nil && real != filepath.Clean(p) {
			out = append(out, real)
		}
	}
	return out
}

// own reports whether path is one of nixpass's own files, lies below one
// of its folders, or is the temporary sibling an atomic write of one makes
// (renameio: ".NAME" followed by random digits, in the same folder).
func (w *Watcher) own(path string) bool {
	for _, o := range w.opts.Own {
		if path == o || strings.HasPrefix(path, o+string(filepath.Separator)) {
			return true
		}
		if filepath.Dir(path) == filepath.Dir(o) && strings.HasPrefix(filepath.Base(path), "."+filepath.Base(o)) {
			return true
		}
	}
	return false
}

// notAFolder says why dir is not a project folder any more (gone, or a
// file now stands where it was), or "" when it is one.
func notAFolder(dir string) string {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "the folder was removed or renamed"
	case err != nil:
		return err.Error()
	case !st.IsDir():
		return "a file now stands where the project folder was"
	}
	return ""
}
