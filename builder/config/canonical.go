package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Canonical is the one spelling of a project folder: absolute, clean,
// symlinks resolved (a symlinked project root would otherwise never be
// watched, and FSEvents reports real paths) and, on a case-insensitive
// file system (macOS), each component in the case it has on disk, so
// ~/Src/App and ~/src/app are one project, one mount. A folder that does
// not exist keeps its absolute spelling.
func Canonical(dir string) (string, error) {
	if dir == "" {
		dir = "."
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", dir, err)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	if caseInsensitiveFS {
		abs = realCase(abs)
	}
	return abs, nil
}

// realCase spells each component of the absolute path p as the folder
// listing does, where it differs only in case. Components that cannot be
// listed are kept as they are.
func realCase(p string) string {
	parts := strings.Split(strings.TrimPrefix(p, string(filepath.Separator)), string(filepath.Separator))
	cur := string(filepath.Separator)
	for i, part := range parts {
		if part == "" {
			continue
		}
		entries, err := os.ReadDir(cur)
		if err != nil {
			return filepath.Join(append([]string{cur}, parts[i:]...)...)
		}
		name := part
		exact := false
		for _, e := range entries {
			if e.Name() == part {
				exact = true
				break
			}
		}
		if !exact {
			for _, e := range entries {
				if strings.EqualFold(e.Name(), part) {
					name = e.Name()
					break
				}
			}
		}
		cur = filepath.Join(cur, name)
	}
	return cur
}
