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
	"time"
)

// After kill -9 of `nixpass build`, status says a build was interrupted
// (reading the unlocked running marker) and writes nothing; the app,
// started next, records the build as killed and queues the project as
// "last build killed", not as a first build.
func TestKilledBuildShownThenRequeuedWithItsReason(t *testing.T) {
	needNix(t)
	w := newWorld(t)
	w.writeConfig("[scheduler]\nquiet = \"200ms\"\nmax_wait = \"2s\"\n")
	goodNix := imageNix(fmt.Sprintf("e2e-interrupted-%d", rand.IntN(1e9)), "")
	dir := w.project("app", goodNix)
	if o := w.run("add", dir); o.code != 0 {
		t.Fatal(o)
	}
	buildGood(t, w, dir)
	sleep := uniqueSleep()
	w.setNix(dir, imageNix("e2e-interrupted-slow", `"$bb" `+sleep))
	cmd := exec.Command(nixpassBin, "build", dir, "--json")
	cmd.Env = w.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "the builder to start", func() bool { return pgrep(sleep) })
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	waitFor(t, 10*time.Second, "the killed build's builder to be gone", func() bool { return !pgrep(sleep) })

	history := filepath.Join(w.state, "history.jsonl")
	before := readFile(t, history)
	markers, _ := filepath.Glob(filepath.Join(w.state, "running", "*.json"))
	if len(markers) != 1 {
		t.Fatalf("want the killed build's running marker, found %v", markers)
	}
	for _, args := range [][]string{{"status"}, {"status", "--json"}} {
		o := w.run(args...)
		if !strings.Contains(o.stdout, "was interrupted") || !strings.Contains(o.stdout, fmt.Sprintf("pid %d", cmd.Process.Pid)) {
			t.Errorf("%v does not say the build was interrupted: %v", args, o)
		}
	}
	if after := readFile(t, history); !bytes.Equal(after, before) {
		t.Errorf("status wrote to the history:\n%s", after[len(before):])
	}
	if _, err := os.Stat(markers[0]); err != nil {
		t.Errorf("status removed the running marker: %v", err)
	}

	w.setNix(dir, goodNix)
	h := w.startHeadless()
	h.waitFor("the restart build", func() bool { return h.count("BuildFinished", `"status":"succeeded"`) == 1 })
	if n := h.count("BuildQueued", `"reason":"last build killed"`); n != 1 {
		t.Errorf("%d builds queued as \"last build killed\", want 1", n)
	}
	if n := h.count("BuildQueued", `"reason":"first build"`); n != 0 {
		t.Errorf("%d builds queued as \"first build\" for a project built before, want 0", n)
	}
}
