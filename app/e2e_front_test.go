package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 19, items 1 and 2: the lean front (app/fast) finishes a no-op
// itself, exactly as the full nixpass would, and hands every other build
// over without asking Nix the same question twice.

// countingNix makes w's nixpass find a nix-build that records, for each
// up-to-date question (--max-jobs 0), which program asked it: a HOME
// whose Nix profile (nixpass looks there before /usr/bin) holds it. It
// returns the record's path.
func countingNix(t *testing.T, w *world) string {
	t.Helper()
	home := filepath.Join(w.root, "home")
	bin := filepath.Join(home, ".nix-profile", "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	real, err := exec.LookPath("nix-build")
	if err != nil {
		t.Fatal(err)
	}
	// The other Nix programs beside it, as in a real profile.
	others, _ := filepath.Glob(filepath.Join(filepath.Dir(real), "nix*"))
	for _, o := range others {
		if filepath.Base(o) != "nix-build" {
			if err := os.Symlink(o, filepath.Join(bin, filepath.Base(o))); err != nil {
				t.Fatal(err)
			}
		}
	}
	record := filepath.Join(w.root, "asked")
	script := fmt.Sprintf("#!/bin/sh\ncase \" $* \" in *\" --max-jobs 0 \"*) readlink /proc/$PPID/exe >>'%s';; esac\nexec '%s' \"$@\"\n", record, real)
	if err := os.WriteFile(filepath.Join(bin, "nix-build"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	w.env = append(w.env, "HOME="+home)
	return record
}

// askers are the programs that asked Nix whether the project is up to
// date, by file name, in order.
func askers(t *testing.T, record string) []string {
	t.Helper()
	b, err := os.ReadFile(record)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Fields(string(b)) {
		out = append(out, filepath.Base(l))
	}
	return out
}

func TestFrontFinishesOnlyNoops(t *testing.T) {
	needNix(t)
	w := newWorld(t)
	record := countingNix(t, w)
	tag := fmt.Sprintf("e2e-front-%d", rand.IntN(1e9))
	p := w.project("front", imageNix(tag, ""))
	logs := func() int {
		m, _ := filepath.Glob(filepath.Join(w.state, "logs", "builds", "front-*", "*.log"))
		return len(m)
	}

	first := w.run("build", p, "--json")
	if first.code != 0 || first.res.UpToDate {
		t.Fatalf("first build: %v", first)
	}
	if got := askers(t, record); len(got) != 0 {
		t.Errorf("a project never built was asked about first: %q", got)
	}

	noop := w.run("build", p, "--json")
	if noop.code != 0 || !noop.res.UpToDate {
		t.Fatalf("no-op: %v", noop)
	}
	if got := askers(t, record); len(got) != 1 || got[0] != "nixpass" {
		t.Fatalf("up-to-date questions %q: want one, by the front (nixpass)", got)
	}
	// The full nixpass's own no-op, for comparison.
	full := exec.Command(filepath.Join(filepath.Dir(nixpassBin), "nixpass-full"), "build", p, "--json")
	fo := w.runCmd(full)
	if fo.code != 0 || !fo.res.UpToDate {
		t.Fatalf("the full nixpass's no-op: %v", fo)
	}
	if got := askers(t, record); len(got) != 2 || got[1] != "nixpass-full" {
		t.Fatalf("up-to-date questions %q: want the full nixpass's second", got)
	}
	a, b := noop.res, fo.res
	if a.Message != b.Message || a.Image != b.Image || a.Platform != b.Platform || a.StorePath != b.StorePath ||
		a.Output != b.Output || a.Bytes != b.Bytes || a.Kind != b.Kind || a.BuiltOn != b.BuiltOn || a.Warning != b.Warning {
		t.Errorf("the front's no-op differs from the full nixpass's:\n front %+v\n full  %+v", a, b)
	}
	if log := readFile(t, a.Log); !bytes.Contains(log, []byte("# store-path "+a.StorePath)) || !bytes.Contains(log, []byte("succeeded (ok)")) {
		t.Errorf("the front's log lacks the store path or the outcome:\n%s", log)
	}

	// A changed project: the front asks once and hands over; the full
	// nixpass builds without asking again, and the front leaves no log.
	if err := os.WriteFile(filepath.Join(p, "default.nix"), []byte(imageNix(tag+"-2", "")), 0o644); err != nil {
		t.Fatal(err)
	}
	changed := w.run("build", p, "--json")
	if changed.code != 0 || changed.res.UpToDate || changed.res.Image != "offline:"+tag+"-2" {
		t.Fatalf("changed build: %v", changed)
	}
	if got := askers(t, record); len(got) != 3 || got[2] != "nixpass" {
		t.Errorf("up-to-date questions %q: want the front's alone for the changed build", got)
	}
	hist := w.run("history", p, "--json")
	if n := strings.Count(hist.stdout, `"status"`); n != 4 || logs() != 4 {
		t.Errorf("%d results in the history and %d logs, want 4 of each (the front's handed-over attempt records nothing):\n%s", n, logs(), hist.stdout)
	}
	if ents, _ := os.ReadDir(filepath.Join(w.state, "running")); len(ents) != 0 {
		t.Errorf("running markers left: %v", ents)
	}
}

// TestFrontVersionAndHandOver: `version` says the same from both
// programs; any other command is the full nixpass's, and a front without
// it says what is missing.
func TestFrontVersionAndHandOver(t *testing.T) {
	w := newWorld(t)
	v := w.run("version")
	fv := w.runCmd(exec.Command(filepath.Join(filepath.Dir(nixpassBin), "nixpass-full"), "version"))
	if v.code != 0 || v.stdout != fv.stdout || !strings.HasPrefix(v.stdout, "nixpass ") {
		t.Errorf("version: front %q, full %q", v.stdout, fv.stdout)
	}
	if o := w.run("build", "--bogus"); o.code != exitUsage || !strings.Contains(o.stderr, "not defined: -bogus") {
		t.Errorf("an option the front does not take is the full nixpass's to refuse: %v", o)
	}
	alone := filepath.Join(t.TempDir(), "nixpass")
	b, err := os.ReadFile(nixpassBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(alone, b, 0o755); err != nil {
		t.Fatal(err)
	}
	o := w.runCmd(exec.Command(alone, "list"))
	if o.code != 127 || !strings.Contains(o.stderr, "nixpass-full") || !strings.Contains(o.stderr, "make install") {
		t.Errorf("a front without the full nixpass: %v", o)
	}
}
