package store

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"nixpass/builder"
)

// TestHistoryIsAppended: one line per build, appended to the same file;
// only past historyCompactBytes is it rewritten, down to historyMax.
func TestHistoryIsAppended(t *testing.T) {
	s := &Store{StateDir: t.TempDir()}
	res := &builder.Result{Project: "/p", Status: builder.StatusSucceeded, Kind: builder.KindOK, Started: time.Now()}
	if err := s.appendHistory(res); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(s.StateDir, "history.jsonl")
	ino := func() uint64 {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return st.Sys().(*syscall.Stat_t).Ino
	}
	first := ino()
	for i := 0; i < 9; i++ {
		if err := s.appendHistory(res); err != nil {
			t.Fatal(err)
		}
	}
	if ino() != first {
		t.Error("history.jsonl was rewritten, not appended to")
	}
	if h, _ := s.History(0); len(h) != 10 {
		t.Fatalf("%d records, want 10", len(h))
	}

	// Past the threshold (about 1,080 records here) it is cut back to
	// the last historyMax once, then appended to again.
	old := historyCompactBytes
	historyCompactBytes = 250_000
	defer func() { historyCompactBytes = old }()
	const total = 1200
	for i := 10; i < total; i++ {
		r := *res
		r.Project = fmt.Sprintf("/p%d", i)
		if err := s.appendHistory(&r); err != nil {
			t.Fatal(err)
		}
	}
	h, _ := s.History(0)
	if len(h) >= total || len(h) < historyMax {
		t.Errorf("%d records after compaction, want between %d and %d", len(h), historyMax, total)
	}
	if last := h[len(h)-1].Project; last != fmt.Sprintf("/p%d", total-1) {
		t.Errorf("newest record = %s", last)
	}
}
