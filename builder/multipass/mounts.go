package multipass

import (
	"path"

	"nixpass/builder/config"
	"path/filepath"
	"strings"
)

// MountFor returns where hostDir is visible inside the instance: below the
// mount whose source is hostDir or its nearest parent. Paths are compared
// component by component, so a mount of /a/b does not cover /a/bc. A
// source spelled otherwise than hostDir (made by an older nixpass through
// a symlink, in another case or Unicode form) counts by its canonical
// path, so a project whose config is now read canonically reuses its
// mount instead of mounting the folder a second time.
func (i *Instance) MountFor(hostDir string) (guestDir string, ok bool) {
	dir := filepath.Clean(hostDir)
	bestSource, bestTarget := "", ""
	for target, m := range i.Mounts {
		if m.SourcePath == "" {
			continue
		}
		src := filepath.Clean(m.SourcePath)
		if !within(dir, src) {
			canon, err := config.Canonical(src)
			if err != nil || !within(dir, canon) {
				continue
			}
			src = canon
		}
		// The deepest source wins: a project may be mounted on its own
		// inside a mounted home folder.
		if len(src) > len(bestSource) {
			bestSource, bestTarget = src, target
		}
	}
	if bestSource == "" {
		return "", false
	}
	rel, err := filepath.Rel(bestSource, dir)
	if err != nil {
		return "", false
	}
	return path.Join(bestTarget, filepath.ToSlash(rel)), true
}

// within reports whether dir is root or lies below it; both are clean.
func within(dir, root string) bool {
	if dir == root {
		return true
	}
	prefix := root
	if !strings.HasSuffix(prefix, string(filepath.Separator)) {
		prefix += string(filepath.Separator)
	}
	return strings.HasPrefix(dir, prefix)
}
