package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"nixpass/assets"
)

// TestTrayStatesOverDBus drives the app on a desktop whose notification
// server lists no actions and no markup, through the states a person
// meets, and reads the menu, the tooltip and every notification back:
// two folders with the same name, a build failure (the failing line and
// "Show log"), and a config edit that does not parse (named with its
// file, line and key; the old config stays in force until it parses).
func TestTrayStatesOverDBus(t *testing.T) {
	needNix(t)
	d := startDesktopWith(t, true, "body")
	w := newWorld(t)
	work := w.project("work/web", imageNix("e2e-twin-a", ""))
	play := w.project("play/web", imageNix("e2e-twin-b", "echo 'src/main.c:3: error: expected semicolon' >&2; exit 1"))
	for _, dir := range []string{work, play} {
		if o := w.run("add", "--no-watch", dir); o.code != 0 {
			t.Fatal(o)
		}
	}
	cmd := exec.Command(nixpassBin, "app")
	cmd.Env = append(w.env, "DBUS_SESSION_BUS_ADDRESS="+d.addr)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	item := d.waitItem()

	fail := d.waitNotification("nixpass · web (play): build failed")
	lines := strings.Split(fail.body, "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "src/main.c:3: error: expected semicolon") || lines[1] != "Show log" {
		t.Errorf("build failure body %q: want the failing line, then Show log", fail.body)
	}
	if len(fail.actions) != 0 || fail.urgency() != 1 {
		t.Errorf("a server without actions got %q, urgency %d", fail.actions, fail.urgency())
	}
	d.waitNotificationWith("nixpass · web (work): built", "offline:e2e-twin-a")

	states := []struct {
		label string // the project's label, as dbusmenu carries it
		lines []string
	}{
		{"✓ web (work)", []string{"Image: offline:e2e-twin-a", "Load into Docker", "Show image in folder"}},
		{"✗ web (play)", []string{"src/main.c:3: error: expected semicolon", "→ Show log", "Show last error…"}},
	}
	waitFor(t, 15*time.Second, "both twins in the menu", func() bool {
		root := d.layout(item)
		for _, st := range states {
			found := false
			for _, c := range root.children {
				if c.visible && strings.HasPrefix(c.label, st.label+" · ") {
					found = true
					for _, want := range st.lines {
						if _, ok := c.find(want); !ok {
							return false
						}
					}
				}
			}
			if !found {
				return false
			}
		}
		return true
	})
	if tip := d.tooltip(item); tip != "nixpass — 1 failing: web (play) (build failed)" {
		t.Errorf("tooltip %q", tip)
	}

	// A config edit that does not parse.
	good, err := os.ReadFile(w.config)
	if err != nil {
		t.Fatal(err)
	}
	w.writeConfig("quiett = \"1s\"\n" + string(good))
	n := d.waitNotification("nixpass · config not reloaded")
	if !strings.Contains(n.body, "config.toml line") || !strings.Contains(n.body, "quiett") || !strings.Contains(n.body, "last good config") {
		t.Errorf("config notification body %q: want the file, the line, the key and that the old config stays", n.body)
	}
	waitFor(t, 10*time.Second, "the config line in the menu", func() bool {
		c, ok := d.layout(item).find("⚠ config.toml line")
		return ok && strings.Contains(c.label, "quiett")
	})
	if _, ok := d.layout(item).find("✓ web (work)"); !ok {
		t.Error("the projects left the menu: the old config must stay in force")
	}
	w.writeConfig(string(good))
	waitFor(t, 10*time.Second, "the config line to go", func() bool {
		_, ok := d.layout(item).find("⚠ config.toml")
		return !ok
	})
}

// TestTrayBuilderUnavailable: a builder that cannot build at all is the
// one critical notification; the menu's builder line stays one short
// line, the tooltip says it, and the icon is the stopped one.
func TestTrayBuilderUnavailable(t *testing.T) {
	d := startDesktopWith(t, true, "body", "actions")
	w := newWorld(t)
	w.writeConfig("[builder]\nbackend = \"multipass\"\nmultipass = \"/nonexistent/multipass\"\n")
	cmd := exec.Command(nixpassBin, "app")
	cmd.Env = append(w.env, "DBUS_SESSION_BUS_ADDRESS="+d.addr)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	item := d.waitItem()
	n := d.waitNotification("nixpass · builder unavailable")
	if n.urgency() != 2 || len(n.actions) != 0 {
		t.Errorf("builder notification: urgency %d, actions %q; want critical, no buttons", n.urgency(), n.actions)
	}
	for _, l := range strings.Split(n.body, "\n") {
		if len([]rune(l)) > 80 || strings.Contains(l, "multipass info") {
			t.Errorf("body line %q is over 80 characters", l)
		}
	}
	var tip string
	deadline := time.Now().Add(10 * time.Second)
	for tip = d.tooltip(item); tip != "nixpass — builder unavailable"; tip = d.tooltip(item) {
		if time.Now().After(deadline) {
			t.Fatalf("tooltip %q, want nixpass — builder unavailable", tip)
		}
		time.Sleep(100 * time.Millisecond)
	}
	root := d.layout(item)
	line, ok := root.find("Builder: ")
	if !ok || len([]rune(line.label)) > 60 || strings.Contains(line.label, "multipass info") {
		t.Errorf("builder line %q: want one of at most 60 characters", line.label)
	}
	if _, ok := root.find("No projects yet"); !ok {
		t.Errorf("no empty-state line: %+v", root)
	}
	comparePixmap(t, d.pixmaps(item), assets.Color(assets.Stopped))
}

// TestTrayOutOfMemory: a build the kernel kills for lack of memory, seen
// on a desktop whose server lists actions: the notification is titled with
// the kind, its second line is the remedy with the limit that applied (no
// cgroup or store path), it offers "Show log" and "Build again"; the menu
// marks the project ▲ with the action first, the tooltip names the kind,
// and the icon is the failed one.
func TestTrayOutOfMemory(t *testing.T) {
	needNix(t)
	d := startDesktopWith(t, true, "body", "actions")
	w := newWorld(t)
	dir := w.project("hungry", imageNix(fmt.Sprintf("e2e-tray-oom-%d", rand.IntN(1e9)), coresHungry))
	w.writeConfig(fmt.Sprintf("[builder]\nbackend = \"local\"\noom_retry = false\n\n[[project]]\npath = %q\nwatch = false\nmax_jobs = 1\ncores = 2\n", dir))
	w.limitMemory(180 << 20)
	cmd := w.command("app")
	cmd.Env = append(cmd.Env, "DBUS_SESSION_BUS_ADDRESS="+d.addr)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); _ = cmd.Wait() })
	item := d.waitItem()

	n := d.waitNotification("nixpass · hungry: out of memory")
	lines := strings.Split(n.body, "\n")
	if len(lines) != 2 || lines[1] != "Give the build more memory (limit 180 MiB)" {
		t.Errorf("OOM body %q: want what failed, then the remedy with the limit", n.body)
	}
	for _, l := range lines {
		if len([]rune(l)) > 80 || strings.Contains(l, "/sys/fs/cgroup") || strings.Contains(l, "/nix/store/") {
			t.Errorf("body line %q: over 80 characters, or a cgroup or store path", l)
		}
	}
	if acts := strings.Join(n.actions, "|"); !strings.Contains(acts, "Show log") || !strings.Contains(acts, "build|Build again") || n.urgency() != 1 {
		t.Errorf("OOM notification: actions %q, urgency %d; want Show log and Build again, normal urgency", n.actions, n.urgency())
	}
	waitFor(t, 15*time.Second, "the OOM state in the menu", func() bool {
		pm := projectMenu(t, d.layout(item), "hungry")
		_, remedy := pm.find("→ Give the build more memory (limit 180 MiB)")
		return strings.HasPrefix(pm.label, "▲ hungry · ") && remedy
	})
	if tip := d.tooltip(item); tip != "nixpass — 1 failing: hungry (out of memory)" {
		t.Errorf("tooltip %q", tip)
	}
	comparePixmap(t, d.pixmaps(item), assets.Color(assets.Failed))
}
