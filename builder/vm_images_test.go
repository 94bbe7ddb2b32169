package builder

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"nixpass/builder/multipass"
	"nixpass/builder/multipass/multipasstest"
)

// The fake really renames as Multipass's SFTP mount does: with "kill" an
// in-VM mv over an existing file loses it. This is the hazard the host
// rename avoids.
func TestFakeSFTPRenameLosesTheTarget(t *testing.T) {
	w := newVMWorld(t, []string{multipasstest.EnvSFTPRename + "=kill"}, vmInstance)
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "new"), filepath.Join(dir, "image")
	os.WriteFile(src, []byte("new"), 0o644)
	os.WriteFile(dst, []byte("last good"), 0o644)
	_, err := w.vm.Client.Exec(context.Background(), "nixpass", multipass.ExecOptions{Args: []string{"mv", "-f", "--", src, dst}})
	if err == nil {
		t.Fatal("the killed mv succeeded")
	}
	if _, err := os.Stat(dst); !os.IsNotExist(err) {
		t.Errorf("the target survived a remove-then-rename killed in between: %v", err)
	}
}

func TestVMImageReplacedOnTheHostUnderSFTPRename(t *testing.T) {
	w := newVMWorld(t, []string{multipasstest.EnvSFTPRename + "=kill"}, vmInstance)
	p := offlineProject(t, "vm-sftp-good", "")
	out := filepath.Join(p.Dir, p.Output)
	if res := w.b.Build(context.Background(), p); !res.Succeeded() {
		t.Fatalf("first build: %+v", res)
	}
	good, _ := os.ReadFile(out)

	// Replacing an existing image: an in-VM mv would be killed between
	// remove and rename and lose it; the host's rename is atomic.
	p2 := offlineProject(t, "vm-sftp-new", "")
	for _, f := range []string{"default.nix"} {
		b, _ := os.ReadFile(filepath.Join(p2.Dir, f))
		os.WriteFile(filepath.Join(p.Dir, f), b, 0o644)
	}
	res := w.b.Build(context.Background(), p)
	if !res.Succeeded() || res.Image != "offline:vm-sftp-new" {
		t.Fatalf("rebuild under remove-then-rename: %+v", res)
	}
	now, _ := os.ReadFile(out)
	if bytes.Equal(now, good) || len(now) == 0 {
		t.Error("the image was not replaced")
	}
	assertNoTemps(t, p.Dir)

	// The VM dies after the script wrote the temporary file: the last
	// good image stays, and the temporary file goes.
	good = now
	p3 := offlineProject(t, "vm-sftp-dies", "")
	b, _ := os.ReadFile(filepath.Join(p3.Dir, "default.nix"))
	os.WriteFile(filepath.Join(p.Dir, "default.nix"), b, 0o644)
	t.Setenv(multipasstest.EnvExecFail, "after")
	res = w.b.Build(context.Background(), p)
	if res.Succeeded() || res.Kind != KindUnavailable {
		t.Fatalf("a VM dying mid-build: %+v", res)
	}
	if now, _ := os.ReadFile(out); !bytes.Equal(now, good) {
		t.Error("a build whose VM died replaced or damaged the last good image")
	}
	assertNoTemps(t, p.Dir)
}

func assertNoTemps(t *testing.T, dir string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), "nixpass-tmp") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}

// calls counts the fake's invocations by verb.
func (w *vmWorld) callCount(t *testing.T) int { return len(multipasstest.Calls(t, w.logPath)) }

func TestVMWarmBuildTakesTwoCalls(t *testing.T) {
	w := newVMWorld(t, nil, vmInstance)
	p := offlineProject(t, "vm-warm", "")
	if res := w.b.Build(context.Background(), p); !res.Succeeded() {
		t.Fatalf("first build: %+v", res)
	}
	before := w.callCount(t)
	res := w.b.Build(context.Background(), p)
	if !res.Succeeded() || !res.UpToDate {
		t.Fatalf("warm build: %+v", res)
	}
	calls := multipasstest.Calls(t, w.logPath)[before:]
	var verbs []string
	for _, c := range calls {
		verbs = append(verbs, c[0])
	}
	if !slices.Equal(verbs, []string{"info", "exec"}) {
		t.Errorf("a warm build called multipass %q, want info and one exec", calls)
	}
}
