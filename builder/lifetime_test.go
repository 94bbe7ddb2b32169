package builder

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"nixpass/builder/runner"
)

// TestLockLivesAsLongAsTheBuild: a lock handed to a child (ExtraFiles)
// stays held after nixpass lets go of it, until the child exits.
func TestLockLivesAsLongAsTheBuild(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.lock")
	l, ok, err := tryLock(path)
	if err != nil || !ok {
		t.Fatalf("first lock: %v %v", ok, err)
	}
	child := exec.Command("sleep", "30")
	child.ExtraFiles = []*os.File{l.File()}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	l.release()
	if _, ok, _ := tryLock(path); ok {
		t.Fatal("the lock was free while the build's process still held it")
	}
	_ = child.Process.Kill()
	_ = child.Wait()
	l2, ok, err := tryLock(path)
	if err != nil || !ok {
		t.Fatalf("the lock stayed taken after the build's last process exited: %v", err)
	}
	l2.release()
}

func pgrepT(pattern string) bool { return exec.Command("pgrep", "-f", pattern).Run() == nil }

func waitGone(t *testing.T, pattern, what string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for pgrepT(pattern) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: the build still runs %v later", what, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// vmScriptBuild starts the script's build inside the fake VM as nixpass
// would, with a lifeline, and returns the client and the lifeline's write
// end.
func vmScriptBuild(t *testing.T, w *vmWorld, p Project, token string, out io.Writer) (*exec.Cmd, *os.File) {
	t.Helper()
	guest, err := w.vm.Prepare(context.Background(), p.Dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	c := exec.Command(w.vm.Client.Bin, "exec", w.vm.Name, "-n", "--", "sh", w.vm.scriptPath(),
		"build", "--lifeline", "--token", token, "--dir", guest, "--output", p.Output, "--file", p.File)
	c.Stdin, c.Stdout, c.Stderr = r, out, out
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	r.Close()
	t.Cleanup(func() { _ = c.Process.Kill(); wr.Close() })
	return c, wr
}

// TestVMBuildEndsWithItsSession: the build inside the VM stops when the
// `multipass exec` session that started it ends, whether nixpass died
// (the client's input closes) or the client itself was killed.
func TestVMBuildEndsWithItsSession(t *testing.T) {
	for _, how := range []string{"nixpass killed", "client killed", "output gone"} {
		t.Run(how, func(t *testing.T) {
			w := newVMWorld(t, nil, vmInstance)
			sleep := fmt.Sprintf("sleep %d", 200000+time.Now().UnixNano()%700000)
			p := offlineProject(t, "vm-orphan", `"$bb" `+sleep)
			var out syncBuf
			token := newToken()
			var stdout io.Writer = &out
			var outR *os.File
			if how == "output gone" {
				// Only the output side goes: its reader closes while the
				// input stays open (a client that never forwards end of
				// input); the script's heartbeat must notice.
				r, wr, err := os.Pipe()
				if err != nil {
					t.Fatal(err)
				}
				go func() { _, _ = io.Copy(&out, r) }()
				outR, stdout = r, wr
				defer wr.Close()
			}
			c, life := vmScriptBuild(t, w, p, token, stdout)
			deadline := time.Now().Add(60 * time.Second)
			for !pgrepT(sleep) {
				if time.Now().After(deadline) {
					t.Fatalf("the build never started:\n%s", out.String())
				}
				time.Sleep(50 * time.Millisecond)
			}
			limit := 5 * time.Second
			switch how {
			case "nixpass killed":
				life.Close()
			case "client killed":
				_ = c.Process.Kill()
			case "output gone":
				if f, ok := stdout.(*os.File); ok {
					f.Close()
				}
				outR.Close()
				limit = 15 * time.Second // the heartbeat is every 5 s
			}
			waitGone(t, sleep, how, limit)
			waitGone(t, "[-]-token "+token, how+" (the script)", limit)
			if _, err := os.Stat(filepath.Join(w.vm.GuestScriptDir, "run", token+".pid")); err == nil {
				t.Errorf("the pid file outlived the build:\n%s", out.String())
			}
			noTempsIn(t, p.Dir)
		})
	}
}

// TestVMBuildsAreSerializedInsideTheVM: a second build started inside the
// VM while one runs waits for the VM's own lock, whatever the host did.
func TestVMBuildsAreSerializedInsideTheVM(t *testing.T) {
	w := newVMWorld(t, nil, vmInstance)
	sleep := fmt.Sprintf("sleep %d", 200000+time.Now().UnixNano()%700000)
	p := offlineProject(t, "vm-lock", `"$bb" `+sleep)
	var out1, out2 syncBuf
	_, life1 := vmScriptBuild(t, w, p, newToken(), &out1)
	deadline := time.Now().Add(60 * time.Second)
	for !pgrepT(sleep) {
		if time.Now().After(deadline) {
			t.Fatalf("the first build never started:\n%s", out1.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	q := offlineProject(t, "vm-lock-2", "")
	c2, _ := vmScriptBuild(t, w, q, newToken(), &out2)
	time.Sleep(1500 * time.Millisecond)
	if got := out2.String(); !strings.Contains(got, "@nixpass phase waiting") || strings.Contains(got, "phase evaluating") {
		t.Fatalf("the second build did not wait for the first:\n%s", got)
	}
	life1.Close()
	if err := c2.Wait(); err != nil {
		t.Fatalf("second build after the first stopped: %v\n%s", err, out2.String())
	}
}

// syncBuf is a buffer the client writes while the test reads it.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func noTempsIn(t *testing.T, dir string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), "nixpass-tmp") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
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
	dead := runningMarker{Token: "dead01", Project: dir, Output: filepath.Join(dir, "result.tar.gz"), Log: log, Started: time.Now().Add(-time.Minute), PID: 4242, ScriptDir: scriptDir}
	tmp := filepath.Join(dir, ".result.tar.gz.nixpass-tmp.dead01")
	os.WriteFile(tmp, []byte("partial"), 0o644)
	os.Mkdir(filepath.Join(scriptDir, "run"), 0o700)
	pidFile := filepath.Join(scriptDir, "run", "dead01.pid")
	os.WriteFile(pidFile, []byte("4243\n"), 0o644)
	l, err := s.beginBuild(dead)
	if err != nil {
		t.Fatal(err)
	}
	l.release() // nixpass died
	live := runningMarker{Token: "live01", Project: dir, Output: dead.Output, Started: time.Now(), PID: os.Getpid()}
	ll, err := s.beginBuild(live)
	if err != nil {
		t.Fatal(err)
	}
	defer ll.release()

	got := s.SweepKilled()
	if len(got) != 1 || got[0].Kind != KindCancelled || !strings.Contains(got[0].Message, "killed") || !strings.Contains(got[0].Message, "4242") {
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
	if last, _ := s.Last(dir); last == nil || last.Kind != KindCancelled {
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
// log folder, and a component over the limit is reported as what it is.
func TestLongFolderNames(t *testing.T) {
	s := &Store{StateDir: t.TempDir(), LogDir: t.TempDir()}
	dir := filepath.Join(t.TempDir(), strings.Repeat("n", 255))
	f, err := s.newLog(dir, time.Now())
	if err != nil {
		t.Fatalf("log for a 255-byte folder name: %v", err)
	}
	f.Close()
	if n := len(filepath.Base(filepath.Dir(f.Name()))); n > maxSafeName+9 {
		t.Errorf("log folder name is %d bytes", n)
	}
	_, err = (&Local{ScriptDir: t.TempDir()}).Prepare(context.Background(), filepath.Join(t.TempDir(), strings.Repeat("n", 300)), nil)
	if err == nil || !strings.Contains(err.Error(), "file name too long") {
		t.Errorf("prepare of a 300-byte component: %v", err)
	}
}

// argvRunner records the argv of every command and succeeds.
type argvRunner struct{ argv [][]string }

func (a *argvRunner) Run(ctx context.Context, c runner.Cmd) (*runner.Result, error) {
	a.argv = append(a.argv, append([]string{c.Name}, c.Args...))
	return &runner.Result{}, nil
}

// TestLocalBuildSkipsTheSecondCheck: Prepare runs the script's check
// (the store round trip), so the local build verb is told not to run it
// again, and is still given its lifeline.
func TestLocalBuildSkipsTheSecondCheck(t *testing.T) {
	rec := &argvRunner{}
	l := &Local{ScriptDir: t.TempDir(), Runner: rec}
	if _, err := l.RunScript(context.Background(), "t", []string{"build", "--token", "t", "--dir", "/p"}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if _, err := l.RunScript(context.Background(), "t", []string{"cancel", "--token", "t"}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if len(rec.argv) != 2 {
		t.Fatalf("ran %q", rec.argv)
	}
	build, cancel := rec.argv[0][2:], rec.argv[1][2:]
	if !slices.Contains(build, "--checked") || !slices.Contains(build, "--lifeline") || build[0] != "build" {
		t.Errorf("build argv %q lacks --checked or --lifeline", build)
	}
	if slices.Contains(cancel, "--checked") {
		t.Errorf("cancel argv %q got --checked", cancel)
	}
}
