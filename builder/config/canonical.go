package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// Canonical is the one spelling of a project folder: absolute, clean,
// symlinks resolved (a symlinked project root would otherwise never be
// watched, and FSEvents reports real paths) and, on a case-insensitive
// file system (macOS), each component in the case it has on disk, so
// ~/Src/App and ~/src/app are one project, one mount, and, where a name
// exists on disk only in another Unicode form (NFD on HFS+, or as another
// program wrote it), in the form the disk holds, which is what FSEvents
// reports. A folder that does not exist keeps its absolute spelling.
func Canonical(dir string) (string, error) {
	if dir == "" {
		dir = "."
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", dir, err)
	}
	// The spelling on disk first: a component typed in another form
	// (NFC for NFD, or another case) would otherwise stop the symlink
	// resolution, on a file system that tells the forms apart.
	abs = realCase(abs)
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = realCase(real)
	}
	return abs, nil
}

// realCase spells each component of the absolute path p as the folder
// listing does, where it differs only in Unicode form (NFC against NFD)
// or, on a case-insensitive file system, in case. A name that exists
// exactly is kept; components that cannot be listed are kept as they are.
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
				if SameName(e.Name(), part) {
					name = e.Name()
					break
				}
			}
		}
		cur = filepath.Join(cur, name)
	}
	return cur
}

// SameName reports whether two file names name one entry: equal once both
// are in Unicode NFC (macOS file systems do not tell NFC from NFD, and
// FSEvents reports the form on disk) and, on a case-insensitive file
// system, equal ignoring case.
func SameName(a, b string) bool {
	if a == b {
		return true
	}
	a, b = norm.NFC.String(a), norm.NFC.String(b)
	return a == b || caseInsensitiveFS && strings.EqualFold(a, b)
}
