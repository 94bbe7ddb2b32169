package store

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"nixpass/builder"
)

func TestWriteRecordReplacesAtomically(t *testing.T) {
	for _, durable := range []bool{true, false} {
		dir := t.TempDir()
		path := filepath.Join(dir, "p.json")
		for _, body := range []string{"one", "two"} {
			if err := writeRecord(path, []byte(body), durable); err != nil {
				t.Fatalf("durable=%v: %v", durable, err)
			}
			got, err := os.ReadFile(path)
			if err != nil || string(got) != body {
				t.Errorf("durable=%v: read %q, %v; want %q", durable, got, err, body)
			}
		}
		st, _ := os.Stat(path)
		if st.Mode().Perm() != 0o600 {
			t.Errorf("durable=%v: mode %v, want 0600", durable, st.Mode().Perm())
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 1 {
			t.Errorf("durable=%v: temporary files left: %v", durable, ents)
		}
	}
}

func TestSameGood(t *testing.T) {
	now := time.Now()
	base := GoodOutput{StorePath: "/nix/store/a", Output: "/p/r", Size: 1, ModTime: now, Image: "i:t", Platform: "linux/amd64"}
	changed := func(f func(*GoodOutput)) *GoodOutput { g := base; f(&g); return &g }
	tests := []struct {
		name string
		a, b *GoodOutput
		want bool
	}{
		{"same", &base, changed(func(*GoodOutput) {}), true},
		{"same time, other location", &base, changed(func(g *GoodOutput) { g.ModTime = now.UTC() }), true},
		{"no previous", &base, nil, false},
		{"store path", &base, changed(func(g *GoodOutput) { g.StorePath = "/nix/store/b" }), false},
		{"size", &base, changed(func(g *GoodOutput) { g.Size = 2 }), false},
		{"mtime", &base, changed(func(g *GoodOutput) { g.ModTime = now.Add(time.Second) }), false},
		{"loaded", &base, changed(func(g *GoodOutput) { g.Loaded = "sha256:x" }), false},
		{"another system's image", &base, changed(func(g *GoodOutput) {
			g.Systems = map[string]GoodOutput{"aarch64-linux": {StorePath: "/nix/store/c"}}
		}), false},
	}
	for _, tc := range tests {
		if got := sameGood(tc.a, tc.b); got != tc.want {
			t.Errorf("%s: sameGood = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestRecordUpToDateKeepsLastGood(t *testing.T) {
	s := &Store{StateDir: t.TempDir(), LogDir: t.TempDir()}
	dir := t.TempDir()
	out := filepath.Join(dir, "result.tar.gz")
	if err := os.WriteFile(out, []byte("img"), 0o644); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(out)
	good := &GoodOutput{StorePath: "/nix/store/x", Output: out, Size: st.Size(), ModTime: st.ModTime()}
	for i := 0; i < 2; i++ {
		res := &builder.Result{Project: dir, Status: builder.StatusSucceeded, UpToDate: i == 1, Output: out}
		if err := s.Record(res, &GoodOutput{StorePath: good.StorePath, Output: out, Size: good.Size, ModTime: good.ModTime}); err != nil {
			t.Fatal(err)
		}
	}
	last, err := s.Last(dir)
	if err != nil || last == nil || !last.UpToDate {
		t.Errorf("last = %+v, %v; want the up-to-date result", last, err)
	}
	if g := s.IntactGood(dir); g == nil || g.StorePath != good.StorePath {
		t.Errorf("IntactGood = %+v, want %s", g, good.StorePath)
	}
}
