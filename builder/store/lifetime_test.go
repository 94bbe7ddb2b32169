package store

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"nixpass/builder"
)

// TestLockLivesAsLongAsTheBuild: a lock handed to a child (ExtraFiles)
// stays held after nixpass lets go of it, until the child exits.
func TestLockLivesAsLongAsTheBuild(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.lock")
	l, ok, err := TryLock(path)
	if err != nil || !ok {
		t.Fatalf("first lock: %v %v", ok, err)
	}
	child := exec.Command("sleep", "30")
	child.ExtraFiles = []*os.File{l.File()}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	l.Release()
	if _, ok, _ := TryLock(path); ok {
		t.Fatal("the lock was free while the build's process still held it")
	}
	_ = child.Process.Kill()
	_ = child.Wait()
	l2, ok, err := TryLock(path)
	if err != nil || !ok {
		t.Fatalf("the lock stayed taken after the build's last process exited: %v", err)
	}
	l2.Release()
}

// TestSweepKilledRecordsAndCleans: a marker nobody holds is a build whose
// nixpass died; the sweep removes its temp and pid files, closes its log
// and records it as cancelled, and leaves a live build's marker alone.
func TestSweepKilledRecordsAndCleans(t *testing.T) {
	s := &Store{StateDir: t.TempDir(), LogDir: t.TempDir()}
	dir := t.TempDir()
	scriptDir := t.TempDir()
	log := filepath.Join(t.TempDir(), "b.log")
	os.WriteFile(log, []byte("building...\n"), 0o644)
	dead := RunningMarker{Token: "dead01", Project: dir, Output: filepath.Join(dir, "result.tar.gz"), Log: log, Started: time.Now().Add(-time.Minute), PID: 4242, ScriptDir: scriptDir}
	tmp := filepath.Join(dir, ".result.tar.gz.nixpass-tmp.dead01")
	os.WriteFile(tmp, []byte("partial"), 0o644)
	os.Mkdir(filepath.Join(scriptDir, "run"), 0o700)
	pidFile := filepath.Join(scriptDir, "run", "dead01.pid")
	os.WriteFile(pidFile, []byte("4243\n"), 0o644)
	l, err := s.BeginBuild(dead)
	if err != nil {
		t.Fatal(err)
	}
	l.Release() // nixpass died
	live := RunningMarker{Token: "live01", Project: dir, Output: dead.Output, Started: time.Now(), PID: os.Getpid()}
	ll, err := s.BeginBuild(live)
	if err != nil {
		t.Fatal(err)
	}
	defer ll.Release()

	got := s.SweepKilled()
	if len(got) != 1 || got[0].Kind != builder.KindCancelled || !strings.Contains(got[0].Message, "killed") || !strings.Contains(got[0].Message, "4242") {
		t.Fatalf("swept %+v", got)
	}
	for _, f := range []string{tmp, pidFile} {
		if _, err := os.Stat(f); err == nil {
			t.Errorf("%s left behind", f)
		}
	}
	if b, _ := os.ReadFile(log); !strings.Contains(string(b), "# nixpass: failed (cancelled) the build was killed") {
		t.Errorf("log not closed:\n%s", b)
	}
	if last, _ := s.Last(dir); last == nil || last.Kind != builder.KindCancelled {
		t.Errorf("last result = %+v", last)
	}
	if h, _ := s.History(0); len(h) != 1 {
		t.Errorf("history = %d records, want 1", len(h))
	}
	if again := s.SweepKilled(); len(again) != 0 {
		t.Errorf("a live build (or a swept one) was swept: %+v", again)
	}
}

// TestLongFolderNames: a project folder name of 255 bytes gets a bounded
// log folder (local.TestLongFolderNames: a component over the limit is
// reported as what it is).
func TestLongFolderNames(t *testing.T) {
	s := &Store{StateDir: t.TempDir(), LogDir: t.TempDir()}
	dir := filepath.Join(t.TempDir(), strings.Repeat("n", 255))
	f, err := s.NewLog(dir, time.Now())
	if err != nil {
		t.Fatalf("log for a 255-byte folder name: %v", err)
	}
	f.Close()
	maxSafeName := len(builder.SafeName(strings.Repeat("n", 300)))
	if n := len(filepath.Base(filepath.Dir(f.Name()))); n > maxSafeName+9 {
		t.Errorf("log folder name is %d bytes", n)
	}
}
