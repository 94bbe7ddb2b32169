package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"nixpass/builder"
)

// hog is a process OOM-killed in the memory cgroup whose cgroup.procs is
// procs: awk doubles a string until the kernel kills it. It returns when
// the kill is done.
func hog(t *testing.T, procs string) {
	t.Helper()
	cmd := exec.Command("sh", "-c", `echo $$ > "$1" && exec busybox awk 'BEGIN { s = "xxxxxxxxxxxxxxxx"; while (1) s = s s }'`, "sh", procs)
	err := cmd.Run()
	var xe *exec.ExitError
	if !asExit(err, &xe) || xe.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("the hog in %s was not OOM-killed: %v", procs, err)
	}
}

func asExit(err error, xe **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	*xe = e
	return ok
}

// startBuild starts `nixpass build DIR --json` in w and returns a function
// that waits for its outcome.
func startBuild(t *testing.T, w *world, dir string) func() outcome {
	t.Helper()
	cmd := w.command("build", dir, "--json")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr, cmd.Env = &out, &errb, w.env
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return func() outcome {
		err := cmd.Wait()
		o := outcome{stdout: out.String(), stderr: errb.String()}
		if xe, ok := err.(*exec.ExitError); ok {
			o.code = xe.ExitCode()
		}
		_ = json.Unmarshal(out.Bytes(), &o.res)
		return o
	}
}

// pidOf waits for a process whose command line holds marker.
func pidOf(t *testing.T, marker string) int {
	t.Helper()
	var pid int
	waitFor(t, 60*time.Second, "the builder's "+marker, func() bool {
		out, _ := exec.Command("pgrep", "-f", marker).Output()
		f := strings.Fields(string(out))
		if len(f) == 0 {
			return false
		}
		fmt.Sscan(f[0], &pid)
		return pid > 0
	})
	return pid
}

// TestOOMVerdictIsThisBuilds: two memory cgroups at once, both ways round,
// as root without a daemon. A builder killed by kill -9 while another
// cgroup's process is OOM-killed is not "out of memory"; a builder
// OOM-killed while another cgroup's process is too quotes its own kill;
// the log keeps only the build's own cgroup's kernel lines.
func TestOOMVerdictIsThisBuilds(t *testing.T) {
	for _, order := range [][2]string{{"a", "b"}, {"b", "a"}} {
		t.Run("build in "+order[0]+", other in "+order[1], func(t *testing.T) {
			w := newWorld(t)
			w.writeConfig("[builder]\noom_retry = false\n")
			own := fmt.Sprintf("nixpass-attrib-%s-%d", order[0], os.Getpid())
			other := fmt.Sprintf("nixpass-attrib-%s-%d", order[1], os.Getpid())
			w.procs = memoryCgroupNamed(t, own, 180<<20)
			otherProcs := memoryCgroupNamed(t, other, 120<<20)

			// 1. kill -9 of the builder while the other cgroup OOMs.
			marker := fmt.Sprint(700000 + rand.IntN(99999))
			dir := w.project("app", imageNix("e2e-attrib-"+marker, `exec "$bb" sleep `+marker))
			wait := startBuild(t, w, dir)
			pid := pidOf(t, "sleep "+marker)
			hog(t, otherProcs)
			_ = syscall.Kill(pid, syscall.SIGKILL)
			o := wait()
			if o.code != 3 || o.res.Kind != builder.KindBuild || strings.Contains(o.res.Message, "ran out of memory") ||
				!strings.Contains(o.res.Message, "killed by signal 9, but the kernel log (dmesg)") || !strings.Contains(o.res.Message, "recorded no OOM kill during the build") ||
				strings.Contains(o.res.Message, "/proc/vmstat") {
				t.Errorf("kill -9 during another cgroup's OOM: want kind build without an OOM verdict, got %v", o)
			}
			if log := string(readFile(t, o.res.Log)); strings.Contains(log, other) || !strings.Contains(log, "# kernel evidence: window ") {
				t.Errorf("the log keeps another cgroup's kill, or lacks its window:\n%s", log)
			}

			// 2. The builder OOM-killed while the other cgroup OOMs too.
			w.setNix(dir, imageNix(fmt.Sprintf("e2e-attrib-oom-%d", rand.IntN(1e9)), `exec "$bb" awk 'BEGIN { s = "xxxxxxxxxxxxxxxx"; while (1) s = s s }'`))
			var wg sync.WaitGroup
			wg.Add(1)
			go func() { defer wg.Done(); o = w.run("build", dir, "--json") }()
			hog(t, otherProcs)
			wg.Wait()
			if o.code != 4 || o.res.Kind != builder.KindOOM || !strings.Contains(o.res.Message, "in memory cgroup ") ||
				!strings.Contains(o.res.Message, "/"+own+", uid ") || strings.Contains(o.res.Message, other) {
				t.Errorf("want the build's own kill quoted (cgroup %s), got %v", own, o)
			}
			if len(o.res.Attempts) != 1 {
				t.Errorf("oom_retry = false: attempts %+v, want 1", o.res.Attempts)
			}
			log := string(readFile(t, o.res.Log))
			if strings.Contains(log, other) || !strings.Contains(log, "/"+own+",task=") {
				t.Errorf("the log should keep this build's kill and not the other cgroup's:\n%s", log)
			}
			// explain applies the same rule to that log.
			if ex := w.run("explain", o.res.Log); ex.code != 4 || !strings.Contains(ex.stderr, "ran out of memory") || strings.Contains(ex.stderr, "could not be read") {
				t.Errorf("explain of the build's log: %v", ex)
			}
		})
	}
}

// TestOOMVerdictTwoBuildsThroughOneDaemon: a user's build OOM-killed in a
// nix-daemon's cgroup while another build runs through the same daemon is
// only "possibly out of memory" (kind build) and is not retried; the other
// build is unharmed.
func TestOOMVerdictTwoBuildsThroughOneDaemon(t *testing.T) {
	w := newWorldIn(t, userEnv)
	w.limitMemory(180 << 20)
	w2 := newWorldIn(t, userEnv)
	for _, kv := range w.env {
		if strings.HasPrefix(kv, "NIX_DAEMON_SOCKET_PATH=") {
			w2.env = append(w2.env, kv)
		}
	}
	marker := fmt.Sprint(800000 + rand.IntN(99999))
	slow := w2.project("slow", imageNix("e2e-two-slow-"+marker, `"$bb" sh -c "$bb sleep 20; : `+marker+`"`))
	waitSlow := startBuild(t, w2, slow)
	pidOf(t, "sleep 20; : "+marker)
	dir := w.project("hungry", imageNix(fmt.Sprintf("e2e-two-hungry-%d", rand.IntN(1e9)), `exec "$bb" awk 'BEGIN { s = "xxxxxxxxxxxxxxxx"; while (1) s = s s }'`))
	o := w.run("build", dir, "--json")
	if o.code != 3 || o.res.Kind != builder.KindBuild || !strings.Contains(o.res.Message, "possibly out of memory") {
		t.Errorf("an OOM kill in a daemon's cgroup shared with another build: want kind build, possibly out of memory, got %v", o)
	}
	if len(o.res.Attempts) != 1 {
		t.Errorf("a possible OOM is not retried: attempts %+v", o.res.Attempts)
	}
	if s := waitSlow(); s.code != 0 {
		t.Errorf("the other build: %v", s)
	}
}
