package vm

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestVMDerivationIsTheBuildsOwn: inside the VM (the fake's exec runs the
// real script with real Nix), the read-only evaluation a joiner asks for
// gives what the build said it builds, costs one info and one exec, and
// follows a changed file; a project the VM has not mounted is not
// evaluated (nothing is mounted or started for it).
func TestVMDerivationIsTheBuildsOwn(t *testing.T) {
	w := newVMWorld(t, nil, vmInstance)
	tag := fmt.Sprintf("vm-drv-%d", time.Now().UnixNano())
	p := offlineProject(t, tag, "")
	res := w.b.Build(context.Background(), p)
	if !res.Succeeded() {
		t.Fatalf("build: %+v", res)
	}
	log := string(readLog(t, res.Log))
	_, said, ok := strings.Cut(log, "# drv ")
	said, _, _ = strings.Cut(said, "\n")
	if !ok || !strings.HasSuffix(said, ".drv") {
		t.Fatalf("the build's log names no derivation:\n%s", log)
	}
	before := len(w.verbs(t))
	got, ok := w.vm.Derivation(context.Background(), p)
	if !ok || got != said {
		t.Errorf("Derivation = %q, %v; want the build's %q", got, ok, said)
	}
	if v := w.verbs(t)[before:]; !slices.Equal(v, []string{"info", "exec"}) {
		t.Errorf("multipass calls %q, want info and exec", v)
	}
	if _, err := os.Stat(said); err != nil {
		t.Errorf("the build's derivation is not in the store: %v", err)
	}

	nix := fmt.Sprintf("import ./image.nix { tag = %q; prepare = \"\"; }\n", tag+"-b")
	if err := os.WriteFile(filepath.Join(p.Dir, "default.nix"), []byte(nix), 0o644); err != nil {
		t.Fatal(err)
	}
	changed, ok := w.vm.Derivation(context.Background(), p)
	if !ok || changed == said {
		t.Errorf("after a change: %q, %v; want another derivation than %q", changed, ok, said)
	}
	if _, err := os.Stat(changed); err == nil {
		t.Errorf("the read-only evaluation wrote %s to the store", changed)
	}

	other := offlineProject(t, tag+"-c", "")
	before = len(w.verbs(t))
	if d, ok := w.vm.Derivation(context.Background(), other); ok {
		t.Errorf("an unmounted project was evaluated: %q", d)
	}
	if v := w.verbs(t)[before:]; !slices.Equal(v, []string{"info"}) {
		t.Errorf("multipass calls for an unmounted project %q, want info only", v)
	}
}

func readLog(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestVMUpToDateRunsNoSecondNix: an up-to-date build in the VM evaluates
// (and says its derivation) but runs no nix-build only to hear that the
// output is there: the project's root, which nix-build would replace
// (a new symlink), is the same file after it.
func TestVMUpToDateRunsNoSecondNix(t *testing.T) {
	w := newVMWorld(t, nil, vmInstance)
	p := offlineProject(t, fmt.Sprintf("vm-kept-%d", time.Now().UnixNano()), "")
	if res := w.b.Build(context.Background(), p); !res.Succeeded() || res.UpToDate {
		t.Fatalf("first build: %+v", res)
	}
	roots, _ := filepath.Glob(filepath.Join(w.vm.GCRootDir(), "*"))
	if len(roots) != 1 {
		t.Fatalf("roots after the first build: %q", roots)
	}
	before, err := os.Lstat(roots[0])
	if err != nil {
		t.Fatal(err)
	}
	res := w.b.Build(context.Background(), p)
	if !res.Succeeded() || !res.UpToDate {
		t.Fatalf("second build: want up to date, got %+v", res)
	}
	if log := string(readLog(t, res.Log)); !strings.Contains(log, "# drv ") {
		t.Errorf("the up-to-date build did not say its derivation:\n%s", log)
	}
	after, err := os.Lstat(roots[0])
	if err != nil || !os.SameFile(before, after) {
		t.Errorf("the root was made again (nix-build ran) on an up-to-date build: %v", err)
	}

	// A changed file: built, and the root follows.
	if err := os.WriteFile(filepath.Join(p.Dir, "default.nix"), []byte(fmt.Sprintf("import ./image.nix { tag = %q; prepare = \"\"; }\n", "vm-kept-b"+fmt.Sprint(time.Now().UnixNano()))), 0o644); err != nil {
		t.Fatal(err)
	}
	res = w.b.Build(context.Background(), p)
	if !res.Succeeded() || res.UpToDate {
		t.Fatalf("build after a change: %+v", res)
	}
	if target, _ := os.Readlink(roots[0]); target != res.StorePath {
		t.Errorf("root points at %s, want the new output %s", target, res.StorePath)
	}
}
