package archtest

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// TestImportDirection: no package of the tree imports against the
// direction of docs/architecture.md.
func TestImportDirection(t *testing.T) {
	wd, _ := os.Getwd()
	root, err := ModuleRoot(wd)
	if err != nil {
		t.Fatal(err)
	}
	edges, err := Imports(root)
	if err != nil {
		t.Fatal(err)
	}
	// The reader must see the tree's real arrows, or the check proves nothing.
	for _, want := range []Edge{{"builder/build", "builder/machine"}, {"builder/core", "builder/machine/vm"}, {"builder/diagnose", "builder"}} {
		if !slices.Contains(edges, want) {
			t.Fatalf("imports read from %s lack %v: %v", root, want, edges)
		}
	}
	if v := Violations(edges); len(v) > 0 {
		t.Errorf("imports against the direction:\n%s", strings.Join(v, "\n"))
	}
}

// TestForbidden: the rules name each kind of wrong arrow, and allow the
// right ones.
func TestForbidden(t *testing.T) {
	for _, tt := range []struct {
		from, to string
		want     string // a part of the reason; "" means allowed
	}{
		{"builder/machine/vm", "builder/build", "machines never import the run"},
		{"builder/docker", "builder/build", "line 3 may import only lines above it"},
		{"builder/machine/local", "builder/store", "machines never import the run, the store or Docker"},
		{"builder/machine", "builder/docker", "machines never import the run, the store or Docker"},
		{"builder/store", "builder/machine", "line 2 may import only lines above it"},
		{"builder", "builder/diagnose", "line 1 may import only lines above it"},
		{"builder/build", "builder/machine/local", "only builder/core names a concrete machine"},
		{"app", "builder/machine/vm", "only builder/core names a concrete machine"},
		{"builder/machine/local", "builder/machine/vm", "line 4 may import only lines above it"},
		{"builder/core", "app/tray", "nothing under builder/ imports app"},
		{"builder/diagnose", "builder", ""},
		{"builder/watch", "builder/config", ""},
		{"builder/config", "builder/watch", "line 1 may import only lines above it"},
		{"builder/hostarch", "builder/config", "line 1 may import only lines above it"},
		{"builder/build", "builder/machine", ""},
		{"builder/core", "builder/machine/vm", ""},
		{"builder/machine/vm", "builder/multipass", ""},
		{"app", "builder/core", ""},
		{"builder/core/fast", "builder/machine/local", ""},
		{"builder/core", "builder/core/fast", ""},
		{"builder/core/fast", "builder/core", "line 6 may import only lines above it"},
		{"builder/core/fast", "builder/machine/vm", "core/fast links only what a no-op on this host needs"},
		{"builder/core/fast", "builder/registry", "core/fast links only what a no-op on this host needs"},
	} {
		got := Forbidden(tt.from, tt.to)
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("Forbidden(%s, %s) = %q, want %q", tt.from, tt.to, got, tt.want)
		}
	}
	v := Violations([]Edge{{"builder/machine/vm", "builder/build"}, {"builder/build", "builder/store"}})
	if len(v) != 1 || !strings.HasPrefix(v[0], "builder/machine/vm imports builder/build") {
		t.Errorf("Violations = %q, want the one arrow against the direction", v)
	}
}
