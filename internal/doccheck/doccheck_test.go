package doccheck

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// root is the repository, seen from this package's folder.
const root = "../.."

// TestReadmeAndDocsLinksResolve is the check itself, on the real files.
func TestReadmeAndDocsLinksResolve(t *testing.T) {
	fsys := os.DirFS(root)
	docs, err := Docs(fsys)
	if err != nil {
		t.Fatal(err)
	}
	// Not vacuous: the front door and its pages are there, with links.
	if len(docs) < 10 {
		t.Errorf("Docs = %v, want README.md and at least 9 pages in docs/", docs)
	}
	readme, err := fs.ReadFile(fsys, "README.md")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(links(string(readme))); n < 20 {
		t.Errorf("README.md has %d links, want its index of docs/ (20 or more)", n)
	}
	for _, p := range Check(fsys) {
		t.Error(p)
	}
}

// TestSectionPointersResolve checks every `docs/FILE.md "Heading"` and
// `README "Heading"` in the tree's code, scripts and docs.
func TestSectionPointersResolve(t *testing.T) {
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			switch rel {
			case ".git", "build", "internal/doccheck": // this package's cases are broken on purpose
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		if info, err := d.Info(); err != nil || info.Size() > 1<<20 {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil || bytes.IndexByte(b, 0) >= 0 {
			return nil // unreadable or binary
		}
		files = append(files, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 50 {
		t.Fatalf("found %d text files under %s, want the repository's", len(files), root)
	}
	for _, p := range Pointers(os.DirFS(root), files) {
		t.Error(p)
	}
}

func TestSlug(t *testing.T) {
	for _, tc := range []struct{ heading, want string }{
		{"The CLI", "the-cli"},
		{"Failures, exit codes and what to do", "failures-exit-codes-and-what-to-do"},
		{"`nixpass explain`", "nixpass-explain"},
		{"Robustness: kill -9, nixpass's own files, JSON, fuzzing, soak", "robustness-kill--9-nixpasss-own-files-json-fuzzing-soak"},
		{"Sibling folders (monorepos)", "sibling-folders-monorepos"},
		{"What `make test` needs", "what-make-test-needs"},
		{"`max_jobs` and **speed**", "max_jobs-and-speed"},
		{"See [the docs](docs/cli.md)", "see-the-docs"},
		{"Café · Über", "café--über"},
	} {
		if got := Slug(tc.heading); got != tc.want {
			t.Errorf("Slug(%q) = %q, want %q", tc.heading, got, tc.want)
		}
	}
}

// page makes a docs page with a heading and the given body.
func page(body string) *fstest.MapFile {
	return &fstest.MapFile{Data: []byte("# Page\n\n## Some section\n\n" + body + "\n")}
}

func TestCheckFindsBrokenLinks(t *testing.T) {
	okReadme := "# nixpass\n\nSee [the page](docs/a.md) and [a section](docs/a.md#some-section).\n"
	for _, tc := range []struct {
		name  string
		files fstest.MapFS
		want  []string // substrings of the problems, in order; none for a clean tree
	}{
		{"clean", fstest.MapFS{
			"README.md": {Data: []byte(okReadme)},
			"docs/a.md": page("Back to [README](../README.md#nixpass), [here](#some-section), [b](b.md#twice-1), [web](https://example.com/x#y)."),
			"docs/b.md": {Data: []byte("## Twice\n\n## Twice\n")},
		}, nil},
		{"missing file", fstest.MapFS{
			"README.md": {Data: []byte(okReadme + "\n[gone](docs/gone.md)\n")},
			"docs/a.md": page(""),
		}, []string{`README.md:5: link "docs/gone.md": docs/gone.md does not exist`}},
		{"missing anchor in another file", fstest.MapFS{
			"README.md": {Data: []byte(okReadme + "[x](docs/a.md#no-such-section)\n")},
			"docs/a.md": page(""),
		}, []string{`README.md:4: link "docs/a.md#no-such-section": no heading in docs/a.md has the anchor #no-such-section`}},
		{"missing anchor in the same file", fstest.MapFS{
			"README.md": {Data: []byte(okReadme)},
			"docs/a.md": page("[x](#nowhere)"),
		}, []string{`docs/a.md:5: link "#nowhere": no heading in docs/a.md`}},
		{"a third heading of the same text has no -2", fstest.MapFS{
			"README.md": {Data: []byte(okReadme)},
			"docs/a.md": page("[x](b.md#twice-2)"),
			"docs/b.md": {Data: []byte("## Twice\n\n## Twice\n")},
		}, []string{`no heading in docs/b.md has the anchor #twice-2`}},
		{"a link out of the repository", fstest.MapFS{
			"README.md": {Data: []byte(okReadme)},
			"docs/a.md": page("[x](../../elsewhere.md)"),
		}, []string{`leaves the repository`}},
		{"links in code are not links", fstest.MapFS{
			"README.md": {Data: []byte(okReadme + "\n```\n[x](missing.md)\n```\n\n    [y](missing.md)\n\nand `[z](missing.md)` inline.\n")},
			"docs/a.md": page(""),
		}, nil},
		{"a heading inside a code block is no anchor", fstest.MapFS{
			"README.md": {Data: []byte(okReadme + "\n```\n## Fake\n```\n[x](#fake)\n")},
			"docs/a.md": page(""),
		}, []string{`no heading in README.md has the anchor #fake`}},
		{"README too long", fstest.MapFS{
			"README.md": {Data: []byte(okReadme + strings.Repeat("line\n", MaxReadmeLines))},
			"docs/a.md": page(""),
		}, []string{`README.md: 253 lines, more than 250`}},
		{"no README", fstest.MapFS{
			"docs/a.md": page(""),
		}, []string{`README.md: open README.md`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Check(tc.files)
			if len(got) != len(tc.want) {
				t.Fatalf("Check = %v, want %d problems %q", got, len(tc.want), tc.want)
			}
			for i, p := range got {
				if !strings.Contains(p.String(), tc.want[i]) {
					t.Errorf("problem %d = %q, want it to contain %q", i, p, tc.want[i])
				}
			}
		})
	}
}

func TestPointersFindBrokenPointers(t *testing.T) {
	fsys := fstest.MapFS{
		"README.md":           {Data: []byte("# nixpass\n\n## Where things live\n")},
		"docs/a.md":           page(""),
		"packaging/README.md": {Data: []byte("# Packaging\n")},
	}
	for _, tc := range []struct {
		name, src string
		want      string // a substring of the one problem; "" for none
	}{
		{"docs heading", `// see docs/a.md "Some section".`, ""},
		{"heading by its slug's text", `# see docs/a.md "some section"`, ""},
		{"README heading, with a comma", `# (see README, "Where things live")`, ""},
		{"another README is not the root's", `see packaging/README.md "Anything"`, ""},
		{"no such heading", `// see docs/a.md "Gone section"`, `docs/a.md "Gone section": no such heading in docs/a.md`},
		{"no such page", `// see docs/zz.md "Some section"`, `docs/zz.md does not exist`},
		{"a README section that moved", `# see README "Tests"`, `README "Tests": no such heading in README.md`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys["src.go"] = &fstest.MapFile{Data: []byte("package x\n\n" + tc.src + "\n")}
			got := Pointers(fsys, []string{"src.go"})
			switch {
			case tc.want == "" && len(got) != 0:
				t.Errorf("Pointers = %v, want none", got)
			case tc.want != "" && (len(got) != 1 || !strings.Contains(got[0].String(), tc.want) || got[0].Line != 3):
				t.Errorf("Pointers = %v, want one problem on src.go:3 containing %q", got, tc.want)
			}
		})
	}
}

// TestReadmeNamesBuildNixpassUntilInstalled: issue 20's newcomer meets the
// bare command only once an install step has put it on PATH.
func TestReadmeNamesBuildNixpassUntilInstalled(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !Anchors(string(b))["first-build"] {
		t.Fatal(`README.md has no "First build" heading to check up to`)
	}
	for _, p := range BareCommand("README.md", string(b), "first-build") {
		t.Error(p)
	}
}

func TestBareCommand(t *testing.T) {
	for _, tc := range []struct {
		name, md string
		want     []int // lines reported
	}{
		{"paths and the name are fine", "# x\n\nnixpass builds. `build/nixpass add .`, `nixpass.app`, `~/.local/bin/nixpass`.\n\n    build/nixpass build .\n\n## First build\n\n    nixpass build .\n", nil},
		{"a code span before", "# x\n\nrun `nixpass add DIR` first\n\n## First build\n", []int{3}},
		{"the bare verb alone", "# x\n\nthen `nixpass` shows the menu\n", []int{3}},
		{"an indented code line before", "# x\n\n    make run\n    nixpass build .\n\n## First build\n", []int{4}},
		{"a fenced line with a prompt", "# x\n\n```\n$ nixpass list\n```\n## First build\n", []int{4}},
		{"a heading in a code block does not end the check", "# x\n\n```\n## First build\n```\n\n`nixpass status`\n\n## First build\n", []int{7}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := BareCommand("R.md", tc.md, "first-build")
			var lines []int
			for _, p := range got {
				lines = append(lines, p.Line)
			}
			if fmt.Sprint(lines) != fmt.Sprint(tc.want) {
				t.Errorf("BareCommand reported lines %v (%v), want %v", lines, got, tc.want)
			}
		})
	}
}
