package config

import (
	"os"
	"path/filepath"
	"testing"
)

// TestLoadReadsPathsCanonically (N1): a config written by hand or by an
// older nixpass, naming folders through a symlink or unclean, is read with
// canonical paths, the written spelling kept in Written; the file is left
// byte for byte; lookups by either spelling find the project; a symlinked
// mount is mounted and watched as its real folder.
func TestLoadReadsPathsCanonically(t *testing.T) {
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	real := filepath.Join(root, "code", "app")
	lib := filepath.Join(root, "code", "lib")
	for _, d := range []string{real, lib} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(root, "code"), filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(lib, filepath.Join(real, "lib-link")); err != nil {
		t.Fatal(err)
	}
	written := filepath.Join(root, "link", "app")
	text := "# mine\n[[project]]\npath = \"" + written + "\"\nmounts = [\"lib-link\"]\n\n" +
		"[[project]]\npath = \"" + lib + "\"\n"
	cfgPath := filepath.Join(root, "config.toml")
	if err := os.WriteFile(cfgPath, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Projects[0]; got.Path != real || got.Written != written {
		t.Errorf("project 0: Path %q Written %q; want %q, %q", got.Path, got.Written, real, written)
	}
	if got := c.Projects[1]; got.Path != lib || got.Written != "" {
		t.Errorf("project 1: Path %q Written %q; want %q and no Written", got.Path, got.Written, lib)
	}
	if got := c.Projects[0].MountPaths(); len(got) != 1 || got[0] != lib {
		t.Errorf("MountPaths = %q, want [%q]", got, lib)
	}
	for _, dir := range []string{real, written, real + "/"} {
		if p, ok := c.Project(dir); !ok || p.Path != real {
			t.Errorf("Project(%q) = %+v, %v; want %q", dir, p, ok, real)
		}
	}
	if b, _ := os.ReadFile(cfgPath); string(b) != text {
		t.Errorf("the config file was rewritten:\n%s", b)
	}
	// Editing by the canonical path finds the table the file spells otherwise.
	if err := SetProjectWatch(cfgPath, real, false); err != nil {
		t.Fatalf("SetProjectWatch(canonical) = %v", err)
	}
	if err := RemoveProject(cfgPath, real); err != nil {
		t.Fatalf("RemoveProject(canonical) = %v", err)
	}
	if c, err := Load(cfgPath); err != nil || len(c.Projects) != 1 || c.Projects[0].Path != lib {
		t.Errorf("after remove: %+v, %v", c, err)
	}
}
