package config

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// Seeds for the config fuzz targets: the reference file, small valid and
// broken files, and hostile strings.
func configSeeds(f *testing.F) {
	if b, err := os.ReadFile("testdata/commented.toml"); err == nil {
		f.Add(b)
	}
	for _, s := range []string{
		"",
		"[builder]\nbackend = \"local\"\n",
		"[[project]]\npath = \"/a\"\n\n[[project]]\npath = \"/b\"\nattr = \"x $(touch F)\"\n",
		"# comment\n[vm]\nmemory = \"8G\" # trailing\n[[project]]\npath = \"/c d\"\nwatch = false\n",
		"[vm]\nmemory = \"8X\"\n",
		"[[project]]\npath = \"/a\"\n[[project]]\npath = \"/a\"\n",
		"[[project]]\npath = '''/multi\nline'''\n",
		"[[project]\npath = \"/broken\"\n",
		"[project]\npath = \"/not-an-array\"\n",
		"[[project]]\npath = \"/x\"\n\"[[project]]\" = 1\n",
	} {
		f.Add([]byte(s))
	}
}

// FuzzParse: the parser never panics, and what it accepts it can render
// and accept again with the same projects.
func FuzzParse(f *testing.F) {
	configSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(bytes.NewReader(data), "config.toml")
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an error without a message")
			}
			return
		}
		out, err := Render(c)
		if err != nil {
			return
		}
		again, err := Parse(bytes.NewReader(out), "config.toml")
		if err != nil {
			t.Fatalf("rendered config does not parse: %v\n%s", err, out)
		}
		if !sameProjects(c, again) {
			t.Fatalf("render lost projects:\n%s", out)
		}
	})
}

// FuzzEdit: an edit of a file that does not parse fails and leaves it
// byte for byte as it was; an edit of one that does never loses a
// project: add keeps every project and adds one, remove drops only its
// own, and a failed edit changes nothing.
func FuzzEdit(f *testing.F) {
	configSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "config.toml")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		before, perr := Parse(bytes.NewReader(data), path)
		dir := "/fuzz/new project"
		err := AddProject(path, Project{Path: dir, Attr: `x $(touch F) "q"`})
		after, _ := os.ReadFile(path)
		if perr != nil || err != nil {
			if err == nil {
				t.Fatalf("a file that does not parse (%v) was edited", perr)
			}
			if !bytes.Equal(after, data) {
				t.Fatalf("a failed add (%v) changed the file:\n%q\n→\n%q", err, data, after)
			}
			return
		}
		added, err := Parse(bytes.NewReader(after), path)
		if err != nil {
			t.Fatalf("the added config does not parse: %v\n%s", err, after)
		}
		if _, ok := added.Project(dir); !ok || len(added.Projects) != len(before.Projects)+1 || !containsProjects(added, before) {
			t.Fatalf("add lost or did not add a project:\n%q\n→\n%q", data, after)
		}
		if err := RemoveProject(path, dir); err != nil {
			t.Fatalf("remove what was just added: %v", err)
		}
		removed, _ := os.ReadFile(path)
		back, err := Parse(bytes.NewReader(removed), path)
		if err != nil {
			t.Fatalf("the config after remove does not parse: %v\n%s", err, removed)
		}
		if !sameProjects(back, before) {
			t.Fatalf("remove lost a project:\n%q\n→\n%q", after, removed)
		}
	})
}

func containsProjects(c, sub *Config) bool {
	for _, p := range sub.Projects {
		p = p.WithDefaults()
		q, ok := c.Project(p.Path)
		if !ok || q.Attr != p.Attr || q.File != p.File || q.Flake != p.Flake || q.Output != p.Output || q.Watching() != p.Watching() {
			return false
		}
	}
	return true
}

func sameProjects(a, b *Config) bool {
	return len(a.Projects) == len(b.Projects) && containsProjects(a, b)
}
