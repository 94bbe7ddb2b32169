package notify

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"nixpass/builder"
)

type recorder struct{ groups, plain []string }

func (r *recorder) Send(title, body string) error { r.plain = append(r.plain, title); return nil }
func (r *recorder) SendGroup(group, title, body string) error {
	r.groups = append(r.groups, group)
	return nil
}

// TestOneGroupPerProject: each project's notifications share a group and
// two projects never do, so terminal-notifier replaces a project's old
// notification and leaves the others.
func TestOneGroupPerProject(t *testing.T) {
	p := &Policy{Success: true}
	a, _ := p.Decide(fin(failed(builder.KindEval, "x")))
	a2, _ := p.Decide(fin(ok(false)))
	other := failed(builder.KindEval, "x")
	other.Project = "/p/web"
	b, _ := p.Decide(fin(other))
	bad, _ := p.Decide(builder.BuilderChanged{Status: builder.BuilderStatus{State: builder.BuilderUnavailable, Problem: "gone"}})
	r := &recorder{}
	for _, m := range []Message{a, a2, b, bad} {
		if err := Deliver(r, m); err != nil {
			t.Fatal(err)
		}
	}
	g := r.groups
	if len(g) != 4 || len(r.plain) != 0 {
		t.Fatalf("groups %q, plain %q: a GroupSender must get every message grouped", g, r.plain)
	}
	if g[0] != g[1] || g[0] == g[2] || g[3] == g[0] || g[3] == g[2] {
		t.Errorf("groups = %q: want one per project and one for the builder", g)
	}
}

func TestWriteIcon(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	path, err := WriteIcon(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(b)); err != nil {
		t.Fatalf("%s is not a PNG (beeep decodes it): %v", path, err)
	}
	st1, _ := os.Stat(path)
	if p2, err := WriteIcon(dir); err != nil || p2 != path {
		t.Fatalf("second WriteIcon = %q, %v", p2, err)
	}
	if st2, _ := os.Stat(path); !os.SameFile(st1, st2) {
		t.Error("an identical icon was rewritten")
	}
}
