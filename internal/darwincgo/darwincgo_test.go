package darwincgo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// listed is what `go list -json` says of one package.
type listed struct {
	ImportPath string
	Dir        string
	Module     *struct{ Main bool }
	Standard   bool
}

// checker type-checks packages from source for one build context.
type checker struct {
	ctx  build.Context
	fset *token.FileSet
	dirs map[string]string // import path -> folder
	pkgs map[string]*types.Package
	main map[string]bool
	errs []string
}

func (c *checker) Import(path string) (*types.Package, error) { return c.ImportFrom(path, "", 0) }

func (c *checker) ImportFrom(path, _ string, _ types.ImportMode) (*types.Package, error) {
	if path == "unsafe" {
		return types.Unsafe, nil
	}
	if p, ok := c.pkgs[path]; ok {
		return p, nil
	}
	dir, ok := c.dirs[path]
	if !ok {
		return nil, fmt.Errorf("%s: not in go list's output", path)
	}
	bp, err := c.ctx.ImportDir(dir, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var files []*ast.File
	for _, name := range append(append([]string{}, bp.GoFiles...), bp.CgoFiles...) {
		f, err := parser.ParseFile(c.fset, filepath.Join(dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	own := c.main[path]
	conf := types.Config{
		Importer:    c,
		FakeImportC: true,
		// Only nixpass's own code is checked in full; dependencies need
		// only their exported API.
		IgnoreFuncBodies: !own,
		Sizes:            types.SizesFor("gc", c.ctx.GOARCH),
		Error: func(err error) {
			// FakeImportC gives C's constants no type, so a dependency's
			// typed constant made from one (fsevents.FileEvents) is
			// "unknown with invalid type" where nixpass uses it: that is
			// the fake, not nixpass. Every other error counts.
			if own && !strings.Contains(err.Error(), "with invalid type)") {
				c.errs = append(c.errs, err.Error())
			}
		},
	}
	pkg, _ := conf.Check(path, c.fset, files, nil)
	c.pkgs[path] = pkg
	return pkg, nil
}

// TestDarwinCgoTypeChecks type-checks nixpass as the macOS app is built:
// GOOS=darwin, cgo on, for both architectures; so the files behind
// `darwin && cgo` (tray adapter, FSEvents watcher) cannot rot unseen.
func TestDarwinCgoTypeChecks(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the darwin/cgo type check takes a while")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, arch := range []string{"arm64", "amd64"} {
		t.Run(arch, func(t *testing.T) {
			cmd := exec.Command("go", "list", "-deps", "-json=ImportPath,Dir,Module,Standard", "./...")
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "GOOS=darwin", "GOARCH="+arch, "CGO_ENABLED=1")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("go list: %v\n%s", err, stderr.String())
			}
			ctx := build.Default
			ctx.GOOS, ctx.GOARCH, ctx.CgoEnabled = "darwin", arch, true
			c := &checker{ctx: ctx, fset: token.NewFileSet(), dirs: map[string]string{}, pkgs: map[string]*types.Package{}, main: map[string]bool{}}
			var mine []string
			dec := json.NewDecoder(bytes.NewReader(out))
			for dec.More() {
				var p listed
				if err := dec.Decode(&p); err != nil {
					t.Fatal(err)
				}
				c.dirs[p.ImportPath] = p.Dir
				if p.Module != nil && p.Module.Main {
					c.main[p.ImportPath] = true
					mine = append(mine, p.ImportPath)
				}
			}
			sort.Strings(mine)
			for _, path := range mine {
				if _, err := c.Import(path); err != nil {
					t.Errorf("%s: %v", path, err)
				}
			}
			for _, e := range c.errs {
				t.Error(e)
			}
			// The check must really have seen the cgo-only files.
			for _, want := range []string{"nixpass/app/tray", "nixpass/builder/watch"} {
				if c.pkgs[want] == nil {
					t.Errorf("%s was not checked", want)
				}
			}
			if w := c.pkgs["nixpass/builder/watch"]; w != nil && w.Scope().Lookup("newFSEvents") == nil {
				t.Error("builder/watch was checked without its FSEvents backend: the build context is not darwin && cgo")
			}
			if tr := c.pkgs["nixpass/app/tray"]; tr != nil && tr.Scope().Lookup("Menu") == nil {
				t.Error("app/tray was checked without the systray adapter (tray.go)")
			}
			t.Logf("%d nixpass packages type-checked for darwin/%s with cgo", len(mine), arch)
		})
	}
}
