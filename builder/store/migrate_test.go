package store

import (
	"os"
	"path/filepath"
	"testing"

	"nixpass/builder"
)

// TestMoveProject (N1): the state an older nixpass kept under a project's
// old spelling (record with the last good image, logs, one-time warnings)
// is found under the canonical path after MoveProject; state already kept
// there wins; a second move is a no-op.
func TestMoveProject(t *testing.T) {
	s := &Store{StateDir: t.TempDir(), LogDir: t.TempDir()}
	old, canon := "/var/folders/x/app", "/private/var/folders/x/app"
	out := filepath.Join(t.TempDir(), "result.tar.gz")
	if err := os.WriteFile(out, []byte("image"), 0o644); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(out)
	good := &GoodOutput{StorePath: "/nix/store/abc-image", Output: out, Size: st.Size(), ModTime: st.ModTime()}
	if err := s.Record(&builder.Result{Project: old, Kind: builder.KindOK}, good); err != nil {
		t.Fatal(err)
	}
	f, err := s.NewLog(old, st.ModTime())
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if !s.FirstWarning(old, "arm64") {
		t.Fatal("first warning not first")
	}
	if err := s.MoveProject(old, canon); err != nil {
		t.Fatal(err)
	}
	if last, err := s.Last(canon); err != nil || last == nil || last.Kind != builder.KindOK {
		t.Errorf("Last(canonical) = %+v, %v; want the old record", last, err)
	}
	if g := s.IntactGood(canon); g == nil || g.StorePath != good.StorePath {
		t.Errorf("IntactGood(canonical) = %+v, want the last good image", g)
	}
	if logs, _ := filepath.Glob(filepath.Join(s.logFolder(canon), "*.log")); len(logs) != 1 {
		t.Errorf("logs under the canonical key: %q, want 1", logs)
	}
	if s.FirstWarning(canon, "arm64") {
		t.Error("the one-time warning would be given again")
	}
	if last, _ := s.Last(old); last != nil {
		t.Errorf("the old key still holds %+v", last)
	}
	// State under the canonical key wins over a stale old one.
	if err := s.Record(&builder.Result{Project: old, Kind: builder.KindBuild}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.MoveProject(old, canon); err != nil {
		t.Fatal(err)
	}
	if last, _ := s.Last(canon); last == nil || last.Kind != builder.KindOK {
		t.Errorf("the canonical record was overwritten: %+v", last)
	}
	if err := s.MoveProject(canon, canon); err != nil {
		t.Errorf("a move onto itself: %v", err)
	}
}
