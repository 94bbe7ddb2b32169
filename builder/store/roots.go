package store

import (
	"os"
	"path/filepath"
	"strings"

	"nixpass/builder"
)

// Each registered project's last output is a garbage-collector root, one
// per system: a link the build itself makes (nix-build --out-link), which
// Nix registers as an indirect root. On this host the links live in the
// state folder's gcroots folder; in the VM, in the VM's own state folder.
// Removing a project drops its links here at once and, for a builder whose
// links are out of reach (inside the VM), marks them to be dropped by the
// next build there (no extra Multipass call).

// RootDir is the folder of the roots on this host.
func (s *Store) RootDir() string { return filepath.Join(s.StateDir, "gcroots") }

// RootName is the link name of project dir's root for system ("" for
// the builder's own): the project's key, then the system.
func RootName(dir, system string) string {
	if system == "" {
		system = "default"
	}
	return builder.ProjectKey(dir) + "-" + builder.SafeName(system)
}

func (s *Store) dropDir() string { return filepath.Join(s.StateDir, "gcroots-drop") }

// DropRoots removes project dir's roots (and its images of other systems)
// on this host and marks its roots to be dropped on the builder by its
// next build.
func (s *Store) DropRoots(dir string) error {
	if err := s.dropImages(dir); err != nil {
		return err
	}
	key := builder.ProjectKey(dir)
	links, _ := filepath.Glob(filepath.Join(s.RootDir(), key+"-*"))
	for _, l := range links {
		if err := os.Remove(l); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	if err := os.MkdirAll(s.dropDir(), 0o700); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(s.dropDir(), key), nil, 0o600)
}

// PendingDrops are the project keys whose roots the builder must drop.
func (s *Store) PendingDrops() []string {
	ents, _ := os.ReadDir(s.dropDir())
	var out []string
	for _, e := range ents {
		if n := e.Name(); !strings.ContainsAny(n, "./") && len(n) == 16 {
			out = append(out, n)
		}
	}
	return out
}

// DropsDone forgets the marks of keys once the builder dropped them.
func (s *Store) DropsDone(keys []string) {
	for _, k := range keys {
		_ = os.Remove(filepath.Join(s.dropDir(), k))
	}
}
