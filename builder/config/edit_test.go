package config

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofrs/flock"
)

// commented copies testdata/commented.toml, a hand-written file full of
// comments, into a temporary folder and returns its path and text.
func commented(t *testing.T) (path, text string) {
	t.Helper()
	b, err := os.ReadFile("testdata/commented.toml")
	if err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, string(b)
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// cut returns text without its first occurrence of part, failing the test
// when there is none.
func cut(t *testing.T, text, part string) string {
	t.Helper()
	before, after, ok := strings.Cut(text, part)
	if !ok {
		t.Fatalf("test text lacks %q", part)
	}
	return before + after
}

func TestRemoveProjectKeepsEverythingElse(t *testing.T) {
	const api = "[[project]]\npath = \"/src/api\"   # main repo\nfile = \"nix/image.nix\"\nargs = [\n  \"--argstr\", \"tag\", \"v1\",   # release tag\n  # \"--arg\", \"debug\", \"true\",\n]\n# watch stays on\n\n"
	const web = "[[project]]\npath = \"/src/web\"\nflake = \".#image\"\nwatch = true # for now\n\n"
	tests := []struct {
		name   string
		remove []string
		want   func(orig string) string
	}{
		// The comment block directly above the next header is that
		// table's; the one above the removed header stays too.
		{"first", []string{"/src/api"}, func(o string) string { return cut(t, o, api) }},
		{"last before a table", []string{"/src/web/"}, func(o string) string { return cut(t, o, web) }},
		{"both", []string{"/src/web", "/src/api"}, func(o string) string { return cut(t, cut(t, o, web), api) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, orig := commented(t)
			for _, dir := range tt.remove {
				if err := RemoveProject(path, dir); err != nil {
					t.Fatal(err)
				}
			}
			if got, want := read(t, path), tt.want(orig); got != want {
				t.Errorf("after removing %v:\n%s\nwant:\n%s", tt.remove, got, want)
			}
			c, err := Load(path)
			if err != nil || len(c.Projects) != 2-len(tt.remove) || c.VM.Memory != 6*GiB || c.Notify.Success {
				t.Errorf("Load after remove = %+v, %v", c, err)
			}
		})
	}
}

func TestRemoveProjectLayouts(t *testing.T) {
	tests := []struct {
		name, text, dir, want string
	}{
		{"only project", "[[project]]\npath = \"/a\"\n", "/a", ""},
		{"last project", "[vm]\ncpus = 2\n\n[[project]]\npath = \"/a\"\n\n[[project]]\npath = \"/b\"\n", "/b",
			"[vm]\ncpus = 2\n\n[[project]]\npath = \"/a\"\n"},
		{"no blank lines left doubled", "[vm]\n\n[[project]]\npath = \"/a\"\n\n[[project]]\npath = \"/b\"\n", "/a",
			"[vm]\n\n[[project]]\npath = \"/b\"\n"},
		{"comment touching the next header stays", "[[project]]\npath = \"/a\"\n# b, the best\n[[project]]\npath = \"/b\"\n", "/a",
			"# b, the best\n[[project]]\npath = \"/b\"\n"},
		{"comment inside the table goes", "[[project]]\npath = \"/a\"\n# about a\n\n[[project]]\npath = \"/b\"\n", "/a",
			"[[project]]\npath = \"/b\"\n"},
		{"multi-line string that looks like a header", "[[project]]\npath = \"/a\"\nargs = [\"--argstr\", \"x\", \"\"\"\n[[project]]\n# no\n\"\"\"]\n[[project]]\npath = \"/b\"\n", "/a",
			"[[project]]\npath = \"/b\"\n"},
		{"no newline at the end", "[vm]\ncpus = 2\n[[project]]\npath = \"/a\"", "/a", "[vm]\ncpus = 2\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.toml")
			write(t, path, tt.text)
			if err := RemoveProject(path, tt.dir); err != nil {
				t.Fatal(err)
			}
			if got := read(t, path); got != tt.want {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestSetProjectWatch(t *testing.T) {
	tests := []struct {
		name     string
		dir      string
		watch    bool
		from, to string // the change expected in the original text
	}{
		{"replace, keeping the comment", "/src/web", false, "watch = true # for now", "watch = false # for now"},
		{"insert after the header", "/src/api", false, "[[project]]\npath = \"/src/api\"", "[[project]]\nwatch = false\npath = \"/src/api\""},
		{"already watching without a key", "/src/api", true, "", ""},
		{"already watching with a key", "/src/web", true, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, orig := commented(t)
			if err := SetProjectWatch(path, tt.dir, tt.watch); err != nil {
				t.Fatal(err)
			}
			if got, want := read(t, path), strings.Replace(orig, tt.from, tt.to, 1); got != want {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
			c, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if p, ok := c.Project(tt.dir); !ok || p.Watching() != tt.watch {
				t.Errorf("project %s after the edit: %+v", tt.dir, p)
			}
		})
	}

	path, orig := commented(t)
	if err := SetProjectWatch(path, "/src/api", false); err != nil {
		t.Fatal(err)
	}
	if err := SetProjectWatch(path, "/src/api", true); err != nil {
		t.Fatal(err)
	}
	if got, want := read(t, path), strings.Replace(orig, "[[project]]\npath = \"/src/api\"", "[[project]]\nwatch = true\npath = \"/src/api\"", 1); got != want {
		t.Errorf("off then on:\n%s\nwant:\n%s", got, want)
	}
}

func TestSetProjectWatchLineEndings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	write(t, path, "[[project]]\r\npath = \"/a\"\r\n")
	if err := SetProjectWatch(path, "/a", false); err != nil {
		t.Fatal(err)
	}
	if got, want := read(t, path), "[[project]]\r\nwatch = false\r\npath = \"/a\"\r\n"; got != want {
		t.Errorf("CRLF: got %q, want %q", got, want)
	}
	// A header on the last line, with no newline after it.
	l, err := parseLayout([]byte("[[project]]"))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(l.setKey(0, "watch", "false")); got != "[[project]]\nwatch = false\n" {
		t.Errorf("setKey after a last line without newline = %q", got)
	}
}

func TestAddProjectAppends(t *testing.T) {
	path, orig := commented(t)
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	p := Project{Path: "/src/new/", File: "image.nix", Args: []string{"--argstr", "tag", "v2"}, Watch: boolPtr(false)}
	if err := AddProject(path, p); err != nil {
		t.Fatal(err)
	}
	want := orig + "\n[[project]]\npath = \"/src/new\"\nfile = \"image.nix\"\nargs = [\"--argstr\", \"tag\", \"v2\"]\nwatch = false\n"
	if got := read(t, path); got != want {
		t.Errorf("after add:\n%s\nwant:\n%s", got, want)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("mode after add = %v, %v; want 0600 kept", st.Mode().Perm(), err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := c.Project("/src/new")
	if !ok || got.File != "image.nix" || got.Watching() || !reflect.DeepEqual(got.Args, p.Args) {
		t.Errorf("added project reads back as %+v", got)
	}

	// Removing what was added gives back the file as it was.
	if err := RemoveProject(path, "/src/new"); err != nil {
		t.Fatal(err)
	}
	if got := read(t, path); got != orig {
		t.Errorf("add then remove:\n%s\nwant the original:\n%s", got, orig)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 2 {
		t.Errorf("the folder holds %v, want config.toml and its lock only", entries)
	}
}

func TestAddProjectSeparatesBlocks(t *testing.T) {
	tests := []struct{ text, want string }{
		{"", "[[project]]\npath = \"/x\"\n"},
		{"\n", "\n[[project]]\npath = \"/x\"\n"},
		{"[vm]\ncpus = 2", "[vm]\ncpus = 2\n\n[[project]]\npath = \"/x\"\n"},
		{"[vm]\ncpus = 2\n", "[vm]\ncpus = 2\n\n[[project]]\npath = \"/x\"\n"},
		{"[vm]\ncpus = 2\n\n", "[vm]\ncpus = 2\n\n[[project]]\npath = \"/x\"\n"},
	}
	for _, tt := range tests {
		path := filepath.Join(t.TempDir(), "config.toml")
		write(t, path, tt.text)
		if err := AddProject(path, Project{Path: "/x"}); err != nil {
			t.Fatal(err)
		}
		if got := read(t, path); got != tt.want {
			t.Errorf("AddProject to %q = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestAddProjectCreatesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "config.toml")
	if err := AddProject(path, NewProject("/src/api")); err != nil {
		t.Fatal(err)
	}
	text := read(t, path)
	if !strings.HasPrefix(text, fileHeader) || !strings.HasSuffix(text, "[[project]]\npath = \"/src/api\"\nfile = \"default.nix\"\noutput = \"result.tar.gz\"\nwatch = true\n") {
		t.Errorf("new file:\n%s", text)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Projects = []Project{NewProject("/src/api")}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("new file loads as %+v, want the defaults and the project", c)
	}
}

func TestEditErrors(t *testing.T) {
	path, orig := commented(t)
	tests := []struct {
		name string
		edit func() error
		is   error
		msg  string
	}{
		{"add registered", func() error { return AddProject(path, Project{Path: "/src/api/"}) }, ErrProjectExists, `add project "/src/api": already registered`},
		{"add invalid", func() error { return AddProject(path, Project{Path: "/x", Output: "result"}) }, nil, "out-links"},
		{"add relative", func() error { return AddProject(path, Project{Path: "x"}) }, nil, "relative"},
		{"remove unknown", func() error { return RemoveProject(path, "/src") }, ErrProjectNotFound, `remove project "/src": not registered`},
		{"watch unknown", func() error { return SetProjectWatch(path, "/nope", false) }, ErrProjectNotFound, `"/nope": not registered`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.edit()
			if err == nil || (tt.is != nil && !errors.Is(err, tt.is)) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("err = %v; want errors.Is %v, containing %q", err, tt.is, tt.msg)
			}
			if got := read(t, path); got != orig {
				t.Errorf("the file changed:\n%s", got)
			}
		})
	}
}

func TestEditMissingFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "none")
	path := filepath.Join(dir, "config.toml")
	if err := RemoveProject(path, "/a"); !errors.Is(err, ErrProjectNotFound) {
		t.Errorf("RemoveProject on a missing file = %v, want ErrProjectNotFound", err)
	}
	if err := SetProjectWatch(path, "/a", true); !errors.Is(err, ErrProjectNotFound) {
		t.Errorf("SetProjectWatch on a missing file = %v, want ErrProjectNotFound", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed edit created %s: %v", dir, err)
	}
}

// TestEditNeverRewritesABrokenFile: a file that does not load is the
// user's to fix; nixpass leaves every byte of it alone.
func TestEditNeverRewritesABrokenFile(t *testing.T) {
	files := []struct {
		name, text string
		line       int
	}{
		{"syntax", "[vm]\ncpus = 2\n[[project]\npath = \"/a\"\n", 3},
		{"unknown key", "[[project]]\npath = \"/a\"\noutptu = \"x\"\n", 3},
		{"rule", "[[project]]\npath = \"/a\"\n[[project]]\npath = \"/a\"\n", 4},
	}
	edits := map[string]func(path string) error{
		"add":    func(path string) error { return AddProject(path, Project{Path: "/new"}) },
		"remove": func(path string) error { return RemoveProject(path, "/a") },
		"watch":  func(path string) error { return SetProjectWatch(path, "/a", false) },
	}
	for _, f := range files {
		for name, edit := range edits {
			t.Run(f.name+"/"+name, func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "config.toml")
				write(t, path, f.text)
				err := edit(path)
				var pe *ParseError
				if !errors.As(err, &pe) || pe.File != path || pe.Line != f.line {
					t.Errorf("err = %v; want the parse error at %s:%d", err, path, f.line)
				}
				if got := read(t, path); got != f.text {
					t.Errorf("the file changed to %q", got)
				}
			})
		}
	}
}

func TestEditRefusesAResultThatDoesNotLoad(t *testing.T) {
	path, orig := commented(t)
	tests := []struct {
		name   string
		change func([]byte, bool, *Config) ([]byte, error)
		msg    string
	}{
		{"syntax", func(b []byte, _ bool, _ *Config) ([]byte, error) { return append(b, "[vm\n"...), nil }, "would not load"},
		{"rule", func(b []byte, _ bool, _ *Config) ([]byte, error) {
			return append(b, "[[project]]\npath = \"x\"\n"...), nil
		}, "would not load"},
		{"wrong effect", func(b []byte, _ bool, _ *Config) ([]byte, error) { return append(b, "\n# hi\n"...), nil }, "did not come out as intended"},
	}
	for _, tt := range tests {
		err := edit(path, false, tt.change, func(before, after *Config) bool { return false })
		if err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.msg)
		}
		if got := read(t, path); got != orig {
			t.Errorf("%s: the file changed:\n%s", tt.name, got)
		}
	}
}

func TestEditInlineProjects(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	text := "project = [{ path = \"/a\" }]\n"
	write(t, path, text)
	err := RemoveProject(path, "/a")
	if err == nil || !strings.Contains(err.Error(), "write each project as its own [[project]] table") {
		t.Errorf("RemoveProject on inline projects = %v", err)
	}
	if got := read(t, path); got != text {
		t.Errorf("the file changed to %q", got)
	}
}

func TestEditFollowsSymlink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "dotfiles", "nixpass.toml")
	if err := os.MkdirAll(filepath.Dir(real), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, real, "[vm]\ncpus = 2\n")
	link := filepath.Join(dir, "config.toml")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	if err := AddProject(link, Project{Path: "/a"}); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the symlink was replaced by a file: %v", err)
	}
	if got := read(t, real); got != "[vm]\ncpus = 2\n\n[[project]]\npath = \"/a\"\n" {
		t.Errorf("the link's target reads %q", got)
	}
}

func TestHostilePathRoundTrips(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	p := Project{Path: hostilePath, Attr: "a\"b", Args: []string{"--argstr", "tag", "$(reboot) \"\\\n"}, Output: "ïmg \"1\".tar"}
	if err := AddProject(path, p); err != nil {
		t.Fatal(err)
	}
	if err := AddProject(path, Project{Path: "/plain"}); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Projects[0]; !reflect.DeepEqual(got, p) {
		t.Fatalf("project reads back as %+v\nwant %+v", got, p)
	}
	if err := SetProjectWatch(path, hostilePath, false); err != nil {
		t.Fatal(err)
	}
	if c, err := Load(path); err != nil || c.Projects[0].Watching() || !c.Projects[1].Watching() {
		t.Errorf("after SetProjectWatch: %+v, %v", c, err)
	}
	if err := RemoveProject(path, hostilePath); err != nil {
		t.Fatal(err)
	}
	if c, err := Load(path); err != nil || len(c.Projects) != 1 || c.Projects[0].Path != "/plain" {
		t.Errorf("after RemoveProject: %+v, %v", c, err)
	}
}

func TestConcurrentAdds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() { errs <- AddProject(path, Project{Path: fmt.Sprintf("/p%d", i)}) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Projects) != 8 {
		t.Fatalf("got %d projects, want 8: %+v", len(c.Projects), c.Projects)
	}
	for i := range 8 {
		if _, ok := c.Project(fmt.Sprintf("/p%d", i)); !ok {
			t.Errorf("/p%d was lost", i)
		}
	}
}

// TestEditWaitsForTheLock stands in for another nixpass process holding
// the lock mid-edit.
func TestEditWaitsForTheLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	other := flock.New(path + ".lock")
	if ok, err := other.TryLockContext(context.Background(), time.Millisecond); !ok {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- AddProject(path, Project{Path: "/a"}) }()
	select {
	case err := <-done:
		t.Fatalf("AddProject finished while the lock was held: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatal("the file was written while the lock was held")
	}
	other.Unlock()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("AddProject did not finish after the lock was released")
	}
	if c, err := Load(path); err != nil || len(c.Projects) != 1 {
		t.Errorf("after the wait: %+v, %v", c, err)
	}
}

func TestLayoutSpans(t *testing.T) {
	text := "# top\n[vm]\ncpus = 2\n# vm's\n\n# a\n[[project]]\npath = \"/a\"\n[notify]\n"
	l, err := parseLayout([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for k, tb := range l.tables {
		s, e := l.span(k)
		got = append(got, fmt.Sprintf("%s %d-%d", tb.name, s, e))
	}
	if want := []string{"vm 1-5", "project 6-8", "notify 8-9"}; !reflect.DeepEqual(got, want) {
		t.Errorf("spans = %v, want %v", got, want)
	}
	if got := l.projectTables(); !reflect.DeepEqual(got, []int{1}) {
		t.Errorf("projectTables = %v, want [1]", got)
	}
}
