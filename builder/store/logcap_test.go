package store

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"nixpass/builder"
)

// A long build's stored log is capped: it keeps its header, at least its
// last LogTail bytes exactly, every line of nixpass's own in order, and
// one cut marker; a short log is kept whole.
func TestLogCap(t *testing.T) {
	tests := []struct {
		name  string
		lines int
		cut   bool
	}{
		{"short log is whole", 1000, false},
		{"long log is cut", 400000, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Store{StateDir: t.TempDir(), LogDir: t.TempDir()}
			l, err := s.NewLog("/p/chatty", time.Now())
			if err != nil {
				t.Fatal(err)
			}
			var full bytes.Buffer
			var own []string
			for i := 0; i < tt.lines; i++ {
				line := fmt.Sprintf("output line %d of a chatty builder", i)
				if i%5000 == 0 {
					line = fmt.Sprintf("# nixpass line %d", i)
					own = append(own, line)
					l.Own(line)
				} else {
					l.Line(line)
				}
				full.WriteString(line + "\n")
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(l.Name())
			if err != nil {
				t.Fatal(err)
			}
			if !tt.cut {
				if !bytes.Equal(got, full.Bytes()) {
					t.Errorf("a %d-byte log was changed", full.Len())
				}
				return
			}
			if len(got) > LogCap+len(strings.Join(own, "\n"))+512 {
				t.Errorf("log is %d bytes, want at most %d plus nixpass's lines", len(got), LogCap)
			}
			if !bytes.HasPrefix(got, full.Bytes()[:LogHead]) {
				t.Error("the header was not kept")
			}
			if !bytes.HasSuffix(got, full.Bytes()[full.Len()-LogTail:]) {
				t.Error("the last LogTail bytes were not kept")
			}
			if n := bytes.Count(got, []byte("\n"+builder.LogCutPrefix)); n != 1 {
				t.Errorf("%d cut markers, want 1", n)
			}
			at := 0
			for _, o := range own {
				i := bytes.Index(got[at:], []byte(o+"\n"))
				if i < 0 {
					t.Fatalf("nixpass's line %q lost or out of order", o)
				}
				at += i
			}
		})
	}
}

// Logs are bounded per project in number and, for logs of older versions
// that were not capped, in bytes.
func TestNewLogBoundsProjectLogs(t *testing.T) {
	s := &Store{StateDir: t.TempDir(), LogDir: t.TempDir()}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var first string
	for i := 0; i < 3; i++ {
		l, err := s.NewLog("/p/x", start.Add(time.Duration(i)*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = l.Name()
			// An old version's uncapped log, bigger than the budget.
			if err := os.Truncate(first, logsKept*LogCap+1); err != nil {
				t.Fatal(err)
			}
		}
		l.Close()
	}
	if _, err := os.Stat(first); !os.IsNotExist(err) {
		t.Errorf("an old %d-byte log was kept beyond the project's budget", logsKept*LogCap+1)
	}
	for i := 3; i < logsKept+5; i++ {
		l, _ := s.NewLog("/p/x", start.Add(time.Duration(i)*time.Second))
		l.Close()
	}
	if logs, _ := os.ReadDir(s.LogDir + "/builds/" + mustOne(t, s.LogDir+"/builds")); len(logs) != logsKept {
		t.Errorf("%d logs kept, want %d", len(logs), logsKept)
	}
}

func mustOne(t *testing.T, dir string) string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) != 1 {
		t.Fatalf("want one folder in %s: %v %v", dir, ents, err)
	}
	return ents[0].Name()
}
