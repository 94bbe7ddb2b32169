package vm

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"nixpass/builder"
)

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
func vmScriptBuild(t *testing.T, w *vmWorld, p builder.Project, token string, out io.Writer) (*exec.Cmd, *os.File) {
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
			assertNoTemps(t, p.Dir)
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
	// It says at once who holds the lock: the first build's script.
	if got := out2.String(); !strings.Contains(got, "@nixpass lock-holder PID ") || !strings.Contains(got, ", building "+p.Dir+" since ") || strings.Contains(got, "phase evaluating") {
		t.Fatalf("the second build did not wait for the first, saying who holds the lock:\n%s", got)
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

// newToken names a test build the way build.Builder does.
func newToken() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
