package main

import (
	"fmt"
	"math/rand/v2"
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
	return memoryCgroupNamed(t, fmt.Sprintf("nixpass-test-%d", os.Getpid()), limit)
}

// memoryCgroupNamed is memoryCgroup with the cgroup's own name, for tests
// that need more than one at once.
func memoryCgroupNamed(t *testing.T, name string, limit int64) string {
	t.Helper()
	self, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Fatalf("read /proc/self/cgroup: %v", err)
	}
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
	for _, e := range everyNixes {
		t.Run(e.name, func(t *testing.T) {
			w := newWorldIn(t, e)
			dir := w.project("app", imageNix("e2e-oom-good", ""))
			good := buildGood(t, w, dir)
			// awk doubles a string until the cgroup's limit is hit.
			// A tag of its own: other test runs share these Nix stores.
			w.setNix(dir, imageNix(fmt.Sprintf("e2e-oom-%d", rand.IntN(1e9)), `exec "$bb" awk 'BEGIN { s = "xxxxxxxxxxxxxxxx"; while (1) s = s s }'`))
			w.limitMemory(200 << 20)
			o := w.run("build", dir, "--json")
			if o.code != 4 || o.res.Kind != builder.KindOOM {
				log, _ := os.ReadFile(o.res.Log)
				t.Fatalf("want exit 4 (oom), got %v\nlog:\n%s", o, log)
			}
			wantMsg := []string{"ran out of memory", "Killed process", "out of memory"}
			if e.user != "" {
				// dmesg is restricted for a normal user (kernel.dmesg_restrict
				// = 1 on Debian): the daemon's memory cgroup counted the kill.
				// (From 0 to 1 on a quiet machine; the kernel may kill more
				// than one process of the build.)
				wantMsg = []string{"ran out of memory", "memory.oom_control: oom_kill went from "}
				if !dmesgRestricted() {
					wantMsg = wantMsg[:1]
				}
			}
			for _, want := range wantMsg {
				if !strings.Contains(o.res.Message, want) {
					t.Errorf("message %q lacks %q", o.res.Message, want)
				}
			}
			for _, want := range []string{"limited to 200 MiB", "raise that limit", "jobs"} {
				if !strings.Contains(o.res.Hint, want) {
					t.Errorf("hint %q lacks %q: it should quote the limit that applied and say how to get more memory or use fewer jobs", o.res.Hint, want)
				}
			}
			keptImage(t, dir, good, "the OOM-killed build")
		})
	}
}

// dmesgRestricted says whether normal users are kept from the kernel log.
func dmesgRestricted() bool {
	b, err := os.ReadFile("/proc/sys/kernel/dmesg_restrict")
	return err == nil && strings.TrimSpace(string(b)) == "1"
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
	// The image did not fit in the project's folder: its disk is named,
	// not the builder's store.
	if !strings.Contains(o.res.Message, "No space left on device") || !strings.Contains(o.res.Message, "the project's disk is full") ||
		strings.Contains(o.res.Hint, "nix-collect-garbage") {
		t.Errorf("message/hint: %q / %q", o.res.Message, o.res.Hint)
	}
	keptImage(t, dir, good, "the failed copy")
}
