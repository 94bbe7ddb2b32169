// Package archtest keeps the import direction of ../shared/architecture.md
// (docs/architecture.md): it reads the imports of every package's non-test
// Go files, for every platform, and names each arrow that runs against the
// direction. Its test runs it on the tree. It imports no nixpass package.
package archtest

import (
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Module is the module path every package of the tree starts with.
const Module = "nixpass"

// Levels are the lines of the import direction: a package imports only
// packages on lines above its own (a lower number). Packages not listed
// (test helpers such as multipasstest, and app's own packages) are held
// only to the Forbidden rules.
var Levels = map[string]int{
	// Leaves: text helpers that import nothing of nixpass.
	// vmusers: who uses the VM besides builds (leases), for its stops to wait on.
	"builder/redact": 0, "builder/clean": 0, "builder/registry/ref": 0, "builder/lazyre": 0, "builder/vmusers": 0,
	"builder": 1, "builder/shq": 1, "builder/tools": 1, "builder/hostarch": 1, "builder/script": 1, "builder/config": 1,
	// sshconf reads ~/.ssh/config and imports nothing of nixpass.
	"builder/sshconf": 1,
	// watch matches events against config.Canonical's spelling of each root.
	"builder/runner": 2, "builder/diagnose": 2, "builder/store": 2, "builder/scheduler": 2, "builder/watch": 2,
	"builder/docker": 3, "builder/agent": 3, "builder/multipass": 3, "builder/machine": 3,
	// Post-build steps beside docker: pushing to registries.
	"builder/registry": 3, "builder/registry/registrytest": 3,
	// The team cache: pull settings, probe, signed uploads (root, runner).
	"builder/cache":         3,
	"builder/machine/local": 4, "builder/machine/vm": 4,
	// The VM as a remote builder for plain Nix (multipass, runner).
	"builder/vmbuilder": 4,
	"builder/build":     5,
	// core's lean part: what a no-op on this host needs (the CLI's front).
	"builder/core/fast": 6,
	"builder/core":      7,
	"app":               8,
}

// Forbidden reports why from may not import to, or "" when it may,
// beyond the order of Levels: only core (with core/fast) names a concrete machine,
// machines never import build, store or docker, and nothing under
// builder/ imports app.
func Forbidden(from, to string) string {
	concrete := to == "builder/machine/local" || to == "builder/machine/vm"
	switch {
	case concrete && from != "builder/core" && from != "builder/core/fast" && !strings.HasPrefix(from, "builder/machine/"):
		return "only builder/core names a concrete machine (core/fast is its lean part)"
	case from == "builder/core/fast" && (to == "builder/machine/vm" || to == "builder/registry" || to == "builder/watch" || to == "builder/agent" ||
		to == "builder/scheduler" || to == "builder/multipass" || to == "builder/vmbuilder" || to == "builder/sshconf"):
		// What the lean front links is its start-up (docs/performance.md).
		return "core/fast links only what a no-op on this host needs, not " + to
	case (from == "builder/machine" || strings.HasPrefix(from, "builder/machine/")) && (to == "builder/build" || to == "builder/store" || to == "builder/docker"):
		return "machines never import the run, the store or Docker"
	case strings.HasPrefix(from, "builder") && (to == "app" || strings.HasPrefix(to, "app/")):
		return "nothing under builder/ imports app"
	}
	lf, okf := Levels[from]
	lt, okt := Levels[to]
	if okf && okt && lt >= lf {
		return fmt.Sprintf("line %d may import only lines above it, not %s (line %d)", lf, to, lt)
	}
	return ""
}

// Edge is one import: From imports To (paths inside the module).
type Edge struct{ From, To string }

// Imports reads the nixpass imports of the non-test Go files under root
// (the module's folder), whatever their build constraints.
func Imports(root string) ([]Edge, error) {
	seen := map[Edge]bool{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); p != root && (n == "testdata" || strings.HasPrefix(n, ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, filepath.Dir(p))
		if err != nil {
			return err
		}
		from := filepath.ToSlash(rel)
		for _, im := range f.Imports {
			to, _ := strconv.Unquote(im.Path.Value)
			if to == Module || strings.HasPrefix(to, Module+"/") {
				seen[Edge{from, strings.TrimPrefix(strings.TrimPrefix(to, Module), "/")}] = true
			}
		}
		return nil
	})
	edges := make([]Edge, 0, len(seen))
	for e := range seen {
		edges = append(edges, e)
	}
	sort.Slice(edges, func(i, j int) bool { return edges[i].From+" "+edges[i].To < edges[j].From+" "+edges[j].To })
	return edges, err
}

// Violations lists each edge that runs against the direction, with why.
func Violations(edges []Edge) []string {
	var out []string
	for _, e := range edges {
		if why := Forbidden(e.From, e.To); why != "" {
			out = append(out, e.From+" imports "+e.To+": "+why)
		}
	}
	return out
}

// ModuleRoot is the folder holding go.mod, found from dir upwards.
func ModuleRoot(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod above %s", dir)
		}
	}
}
