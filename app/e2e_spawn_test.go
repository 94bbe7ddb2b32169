package main

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// childrenOf lists the command lines of pid's child processes.
func childrenOf(pid int) []string {
	ents, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		st, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid …: comm may hold spaces, so cut after ")".
		s := string(st)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			cmd, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
			out = append(out, e.Name()+" "+strings.ReplaceAll(string(cmd), "\x00", " "))
		}
	}
	return out
}

// After a build the app takes the builder's status from the outcome: it
// runs no check (no sh, no nix) while the builder is known good.
func TestAppSpawnsNothingAfterABuild(t *testing.T) {
	needNix(t)
	w := newWorld(t)
	w.writeConfig("[scheduler]\nquiet = \"200ms\"\nmax_wait = \"2s\"\n")
	dir := w.project("app", imageNix("e2e-spawn", ""))
	if o := w.run("add", dir); o.code != 0 {
		t.Fatal(o)
	}
	h := w.startHeadless()
	h.waitFor("the first build", func() bool { return h.count("BuildFinished", `"status":"succeeded"`) == 1 })
	var seen []string
	for end := time.Now().Add(4 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		seen = append(seen, childrenOf(h.cmd.Process.Pid)...)
	}
	if len(seen) > 0 {
		t.Errorf("the app ran %d process(es) after a good build: %q", len(seen), seen)
	}
	if n := h.count("BuilderChanged", `"state":"running"`); n == 0 {
		t.Errorf("no BuilderChanged says the builder is running after a good build")
	}
}
