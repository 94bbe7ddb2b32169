package watch

import (
	"path/filepath"
	"strings"

	"nixpass/builder/config"
)

// A project's folder has two spellings here. Spec.Dir is the one the
// config holds: the project's identity, in every Trigger and StateEvent.
// The root is its canonical path (config.Canonical: symlinks resolved,
// the case and Unicode form on disk): what is walked and handed to the
// backend, and what events are matched against, since FSEvents reports
// real paths (/private/var for /var, the disk's case, NFD names) whatever
// spelling was asked for.

// canonicalRoot is dir's canonical path, or dir cleaned when it cannot be
// resolved.
func canonicalRoot(dir string) string {
	c, err := config.Canonical(dir)
	if err != nil {
		return filepath.Clean(dir)
	}
	return c
}

// underRoot reports whether path lies at or below root, comparing
// component by component with config.SameName (NFC against NFD and, on
// macOS, case), and returns path spelled with root as its prefix.
func underRoot(root, path string) (string, bool) {
	sep := string(filepath.Separator)
	if path == root || strings.HasPrefix(path, root+sep) {
		return path, true
	}
	rc := strings.Split(strings.Trim(root, sep), sep)
	pc := strings.Split(strings.Trim(path, sep), sep)
	if root == sep {
		rc = nil
	}
	if len(pc) < len(rc) {
		return "", false
	}
	for i := range rc {
		if !config.SameName(rc[i], pc[i]) {
			return "", false
		}
	}
	return filepath.Join(append([]string{root}, pc[len(rc):]...)...), true
}
