package config

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// manyProjects is a config with n projects, each with the keys a real one
// sets.
func manyProjects(n int) []byte {
	var b bytes.Buffer
	b.WriteString("[builder]\nbackend = \"local\"\n\n")
	for i := range n {
		fmt.Fprintf(&b, "[[project]]\npath = \"/srv/p/%d\"\nattr = \"image\"\nargs = [\"--argstr\", \"tag\", \"v%d\"]\nwatch = false\n\n", i, i)
	}
	return b.Bytes()
}

// BenchmarkLoad prints how long a config with 1,000, 10,000 and 100,000
// projects takes to load: it grows linearly with the number of keys.
func BenchmarkLoad(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		data := manyProjects(n)
		b.Run(fmt.Sprintf("projects=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := Parse(bytes.NewReader(data), "config.toml"); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(n), "µs/project")
		})
	}
}

// TestLoadHundredThousandProjects loads a 100,000-project config from a
// file and reads back its last project; a quadratic parse took minutes.
func TestLoadHundredThousandProjects(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, manyProjects(100000), 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loaded 100,000 projects in %s", time.Since(start))
	if got := len(c.Projects); got != 100000 {
		t.Fatalf("got %d projects, want 100000", got)
	}
	if got, want := c.Projects[99999].Path, "/srv/p/99999"; got != want {
		t.Errorf("last project path = %q, want %q", got, want)
	}
}
