package store

import (
	"fmt"
	"os"
	"path/filepath"

	"nixpass/builder"
)

// A project with systems = [...] has one image per system. The builder's
// own is the project's output file, as for any project; the others live
// in the state folder's images folder, one file per project and system,
// written by the build (temp file + rename) and read by the push.

// imageDir is the folder of the other systems' images.
func (s *Store) imageDir() string { return filepath.Join(s.StateDir, "images") }

// SystemImagePath is where the image of project dir for system lives,
// named like the project's own output (its .gz says whether it is
// gzipped).
func (s *Store) SystemImagePath(dir, system, output string) string {
	return filepath.Join(s.imageDir(), builder.ProjectKey(dir)+"-"+builder.SafeName(system)+"-"+builder.SafeName(output))
}

// SystemImages are the last good images of project dir for systems whose
// files are still the ones nixpass wrote, keyed by system; a system
// without one is missing from the map.
func (s *Store) SystemImages(dir string, systems []string) map[string]GoodOutput {
	g := s.LastGood(dir)
	out := map[string]GoodOutput{}
	if g == nil {
		return out
	}
	for _, sys := range systems {
		if img, ok := g.Systems[sys]; ok && img.Intact() {
			out[sys] = img
		}
	}
	return out
}

// InstallSystemImage moves the checked temporary image tmp to path, in
// the state folder: a rename, or, across file systems (the project
// folder and the state folder need not share one), a copy to a
// temporary file there and a rename, so the path never holds half an
// image.
func (s *Store) InstallSystemImage(tmp, path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("keep the image: %w", err)
	}
	if err := os.Rename(tmp, path); err == nil {
		return nil
	}
	in, err := os.Open(tmp)
	if err != nil {
		return fmt.Errorf("keep the image: %w", err)
	}
	defer in.Close()
	out, err := os.CreateTemp(filepath.Dir(path), ".image-*")
	if err != nil {
		return fmt.Errorf("keep the image: %w", err)
	}
	_, err = out.ReadFrom(in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(out.Name(), path)
	}
	if err != nil {
		_ = os.Remove(out.Name())
		return fmt.Errorf("keep the image in %s: %w", filepath.Dir(path), err)
	}
	_ = os.Remove(tmp)
	return nil
}

// dropImages removes project dir's images of other systems.
func (s *Store) dropImages(dir string) error {
	files, _ := filepath.Glob(filepath.Join(s.imageDir(), builder.ProjectKey(dir)+"-*"))
	for _, f := range files {
		if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	return nil
}
