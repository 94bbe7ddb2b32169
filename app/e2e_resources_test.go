package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"nixpass/builder"
)

// memoryCgroup makes a memory cgroup limited to limit bytes, under the
// test process's own (cgroup v1 or v2), and returns the file to write a
// pid to. The cgroup is removed when the test ends.
func memoryCgroup(t *testing.T, limit int64) string {
	t.Helper()
	self, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Fatalf("read /proc/self/cgroup: %v", err)
	}
	name := fmt.Sprintf("nixpass-test-%d", os.Getpid())
	for _, line := range strings.Split(strings.TrimSpace(string(self)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		var dir, limitFile string
		switch {
		case strings.Contains(","+parts[1]+",", ",memory,"): // v1
			dir = filepath.Join("/sys/fs/cgroup/memory", parts[2], name)
			limitFile = "memory.limit_in_bytes"
		case parts[0] == "0" && parts[1] == "": // v2
			if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err != nil {
				continue
			}
			parent := filepath.Join("/sys/fs/cgroup", parts[2])
			_ = os.WriteFile(filepath.Join(parent, "cgroup.subtree_control"), []byte("+memory"), 0)
			dir = filepath.Join(parent, name)
			limitFile = "memory.max"
		default:
			continue
		}
		if err := os.Mkdir(dir, 0o755); err != nil && !os.IsExist(err) {
			continue
		}
		t.Cleanup(func() { _ = syscall.Rmdir(dir) })
		if err := os.WriteFile(filepath.Join(dir, limitFile), []byte(fmt.Sprint(limit)), 0); err != nil {
			continue
		}
		// Without swap in the limit the kernel would swap instead of killing.
		_ = os.WriteFile(filepath.Join(dir, "memory.swap.max"), []byte("0"), 0)
		_ = os.WriteFile(filepath.Join(dir, "memory.swappiness"), []byte("0"), 0)
		return filepath.Join(dir, "cgroup.procs")
	}
	t.Fatal("no writable memory cgroup (v1 or v2): run the tests as root on Linux with cgroups mounted at /sys/fs/cgroup")
	return ""
}

func TestBuildOOMKillIsClassified(t *testing.T) {
	needNix(t)
	w := newWorld(t)
	dir := w.project("app", imageNix("e2e-oom-good", ""))
	good := buildGood(t, w, dir)
	// awk doubles a string until the cgroup's limit is hit.
	w.setNix(dir, imageNix("e2e-oom", `exec "$bb" awk 'BEGIN { s = "xxxxxxxxxxxxxxxx"; while (1) s = s s }'`))
	procs := memoryCgroup(t, 200<<20)
	// The shell puts itself in the cgroup, then becomes nixpass: every
	// process of the build (nix-build, the builder) is limited.
	cmd := exec.Command("sh", "-c", `echo $$ > "$1" && shift && exec "$@"`, "sh", procs, nixpassBin, "build", dir, "--json")
	o := w.runCmd(cmd)
	if o.code != 4 || o.res.Kind != builder.KindOOM {
		t.Fatalf("want exit 4 (oom), got %v", o)
	}
	for _, want := range []string{"ran out of memory", "Killed process", "out of memory"} {
		if !strings.Contains(o.res.Message, want) {
			t.Errorf("message %q lacks %q", o.res.Message, want)
		}
	}
	if !strings.Contains(o.res.Hint, "memory") || !strings.Contains(o.res.Hint, "jobs") {
		t.Errorf("hint %q should say how to get more memory or use fewer jobs", o.res.Hint)
	}
	keptImage(t, dir, good, "the OOM-killed build")
}

func TestBuildDiskFullKeepsImage(t *testing.T) {
	needNix(t)
	w := newWorld(t)
	// The project lives on a tiny tmpfs: room for one image, not two.
	dir := filepath.Join(w.root, "small disk")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1700k", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount a small tmpfs (needs root): %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	w.project("small disk", imageNix("e2e-disk-good", ""))
	good := buildGood(t, w, dir)
	w.setNix(dir, imageNix("e2e-disk-next", ""))
	o := w.run("build", dir, "--json")
	if o.code != 5 || o.res.Kind != builder.KindDiskFull {
		t.Fatalf("want exit 5 (disk full), got %v", o)
	}
	if !strings.Contains(o.res.Message, "No space left on device") || !strings.Contains(o.res.Hint, "nix-collect-garbage") {
		t.Errorf("message/hint: %q / %q", o.res.Message, o.res.Hint)
	}
	keptImage(t, dir, good, "the failed copy")
}
