package diagnose

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"nixpass/builder"
)

// FuzzDiagnose: any log, with or without a signal and OOM evidence, gives
// a known kind and a message, and never panics. The real texts seed it.
func FuzzDiagnose(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*.txt")
	old, _ := filepath.Glob("../testdata/nix/*.txt")
	for _, p := range append(files, old...) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b), 0, false)
		f.Add(string(b), 9, true)
	}
	f.Fuzz(func(t *testing.T, log string, signal int, killed bool) {
		for _, ev := range []Evidence{
			{Signal: signal, OOM: OOM{Readable: killed, Killed: killed}},
			{Signal: signal, HostOS: "darwin", Machine: Machine{VM: "nixpass"}, Project: builder.Project{Dir: "/p", Flake: ".#x"}},
		} {
			d := Diagnose(log, ev)
			if !slices.Contains(Kinds, d.Kind) {
				t.Fatalf("unknown kind %q", d.Kind)
			}
			if d.Message == "" {
				t.Fatalf("empty message for kind %s (rule %s)", d.Kind, d.Rule)
			}
		}
	})
}
