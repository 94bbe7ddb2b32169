package store

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestNoteDerivation: what a running build builds is read back with its
// marker, from a private file beside it that replacing never unlocks the
// marker; it goes with the marker when the build ends or is swept.
func TestNoteDerivation(t *testing.T) {
	s := &Store{StateDir: t.TempDir(), LogDir: t.TempDir()}
	dir := t.TempDir()
	m := RunningMarker{Token: "tok01", Project: dir, Output: filepath.Join(dir, "result.tar.gz"), Started: time.Now(), PID: 4242}
	l, err := s.BeginBuild(m)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Running(dir); len(got) != 1 || got[0].Drv != "" {
		t.Fatalf("before the build evaluated: %+v", got)
	}
	for _, drv := range []string{"/nix/store/a-x.drv", "/nix/store/b-y.drv /nix/store/c-z.drv!bin"} {
		if err := s.NoteDerivation(m.Token, drv); err != nil {
			t.Fatal(err)
		}
		got := s.Running(dir)
		if len(got) != 1 || got[0].Drv != drv {
			t.Fatalf("after noting %q: %+v (the marker must stay locked and read)", drv, got)
		}
	}
	st, err := os.Stat(filepath.Join(s.StateDir, "running", m.Token+".drv"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("derivation file: %v, mode %v; want 0600", err, st.Mode().Perm())
	}
	if ents, _ := os.ReadDir(filepath.Join(s.StateDir, "running")); len(ents) != 2 {
		t.Errorf("running folder holds %d files, want the marker and its derivation (no temporary left)", len(ents))
	}
	s.EndBuild(m.Token, l)
	if _, err := os.Stat(filepath.Join(s.StateDir, "running", m.Token+".drv")); err == nil {
		t.Error("the derivation file outlived the build")
	}

	// A killed build's is swept with its marker.
	m.Token = "tok02"
	l, err = s.BeginBuild(m)
	if err != nil {
		t.Fatal(err)
	}
	_ = s.NoteDerivation(m.Token, "/nix/store/a-x.drv")
	l.Release()
	if got := s.Interrupted(dir); len(got) != 1 || got[0].Drv != "/nix/store/a-x.drv" {
		t.Errorf("interrupted: %+v", got)
	}
	s.SweepKilled()
	if ents, _ := os.ReadDir(filepath.Join(s.StateDir, "running")); len(ents) != 0 {
		t.Errorf("after the sweep the running folder holds %v", ents)
	}
}
