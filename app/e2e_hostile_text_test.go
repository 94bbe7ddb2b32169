package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"nixpass/app/notify"
	"nixpass/app/tray"
	"nixpass/builder"
)

// hostileName is an image name as JSON text: a title-setting OSC, a BEL,
// a screen clear, a C1 CSI and a right-to-left override.
const hostileName = `evil\u001b]0;pwned\u0007\u001b[2J\u009b31m\u202eapp`

// unsafe reports the first escape sequence, control character, C1
// control, bidi or zero-width control in one-line text.
func unsafeRune(s string) (rune, bool) {
	for _, r := range s {
		switch {
		case r < 0x20 && r != '\n', r == 0x7f, r >= 0x80 && r <= 0x9f,
			r >= 0x200b && r <= 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			return r, true
		}
	}
	return 0, false
}

// TestImageNameWithEscapesIsCleaned builds for real an image whose
// manifest tag carries escape sequences and checks that build, status and
// list print it cleaned, that JSON keeps it exact with C1 escaped, and
// that the menu and the notification show it cleaned.
func TestImageNameWithEscapesIsCleaned(t *testing.T) {
	needNix(t)
	w := newWorld(t)
	dir := w.project("hostile", `let d = import ./image.nix { tag = "v1"; }; in derivation (d.drvAttrs // { imageName = "`+strings.ReplaceAll(hostileName, `\`, `\\`)+`"; })`+"\n")
	var want string
	if err := json.Unmarshal([]byte(`"`+hostileName+`:v1"`), &want); err != nil {
		t.Fatal(err)
	}
	w.writeConfig("[builder]\nbackend = \"local\"\n\n[[project]]\npath = \"" + dir + "\"\n\n[[project]]\npath = \"/srv/bell\\u0007\\u001b[2Jproject\\u202e\"\nwatch = false\n")

	js := w.run("build", dir, "--json")
	if js.code != 0 {
		t.Fatalf("build failed:\n%v", js)
	}
	if js.res.Image != want {
		t.Errorf("JSON image = %q, want the exact %q", js.res.Image, want)
	}
	// JSON keeps values exact: no C0 or C1 control raw, bidi allowed.
	for _, r := range js.stdout {
		if (r < 0x20 && r != '\n') || (r >= 0x80 && r <= 0x9f) {
			t.Errorf("build --json prints U+%04X raw:\n%q", r, js.stdout)
		}
	}
	for _, args := range [][]string{{"build", dir}, {"status"}, {"list"}} {
		o := w.run(args...)
		if o.code != 0 {
			t.Fatalf("%v: %v", args, o)
		}
		if r, bad := unsafeRune(o.stdout + o.stderr); bad {
			t.Errorf("%v prints U+%04X:\n%q", args, r, o.stdout+o.stderr)
		}
		if args[0] != "list" && !strings.Contains(o.stdout, " evil31mapp:v1 (linux/") {
			t.Errorf("%v does not show the cleaned image name:\n%q", args, o.stdout)
		}
		if args[0] == "list" && !strings.Contains(o.stdout, "/srv/bellproject ") {
			t.Errorf("list does not show the cleaned path:\n%q", o.stdout)
		}
	}
	if o := w.run("status", "--json"); !strings.Contains(o.stdout, `\u001b]0;pwned\u0007`) || !strings.Contains(o.stdout, `\u009b`) {
		t.Errorf("status --json does not keep the name exact with escapes:\n%s", o.stdout)
	}

	// The menu and the notification of this result.
	res := js.res
	m := tray.Build(builder.Snapshot{Projects: []builder.ProjectStatus{{Path: dir, Name: filepath.Base(dir) + "\x1b[2J", State: builder.ProjectIdle, Last: &res}}}, time.UTC)
	var titles []string
	for _, p := range m.Projects {
		titles = append(titles, p.Title)
		for _, it := range p.Items {
			titles = append(titles, it.Title)
		}
	}
	s := &recordSender{}
	if n, ok := (&notify.Policy{Success: true}).Decide(builder.BuildFinished{Result: res}); ok {
		if err := notify.Deliver(s, n); err != nil {
			t.Fatal(err)
		}
	}
	if len(s.bodies) == 0 || !strings.Contains(s.bodies[0], "evil31mapp:v1") {
		t.Errorf("notification = %q, want one naming the cleaned image", s.bodies)
	}
	for _, text := range append(append(titles, s.titles...), s.bodies...) {
		if r, bad := unsafeRune(text); bad {
			t.Errorf("menu or notification text %q holds U+%04X", text, r)
		}
	}
}
