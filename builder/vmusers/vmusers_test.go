package vmusers

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// holderEnv makes the test binary a lease holder in another process
// (TestMain): it registers, prints "held", and waits for stdin to close.
const holderEnv = "VMUSERS_TEST_HOLD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(holderEnv); dir != "" {
		done := (&Record{Dir: dir}).Register("the vm builder session")
		fmt.Println("held")
		bufio.NewReader(os.Stdin).ReadString('\n')
		done()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// holder starts another process holding a lease in dir; stop ends it
// (kill: with SIGKILL, leaving the file behind).
func holder(t *testing.T, dir string) (pid int, stop func(kill bool)) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), holderEnv+"="+dir)
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "held\n" {
		t.Fatalf("holder said %q", line)
	}
	stopped := false
	stop = func(kill bool) {
		if stopped {
			return
		}
		stopped = true
		if kill {
			cmd.Process.Kill()
		}
		in.Close()
		cmd.Wait()
	}
	t.Cleanup(func() { stop(true) })
	return cmd.Process.Pid, stop
}

// TestUsers lists who is on record: this process's users, another
// process's (with its PID), and never a stale lease: one left by a
// killed process, or a lease nobody locks whose PID is alive again
// (reused), or a half-written temporary file.
func TestUsers(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, r *Record) (cleanup func())
		want  func(pid int) []string
		// gone are files that must have been removed as stale.
		stale bool
	}{
		{"nobody", func(*testing.T, *Record) func() { return func() {} }, func(int) []string { return nil }, false},
		{"an upload in this process", func(_ *testing.T, r *Record) func() { return r.Register("the cache upload of app") },
			func(int) []string { return []string{"the cache upload of app"} }, false},
		{"two, oldest first", func(_ *testing.T, r *Record) func() {
			a := r.Register("the cache upload of app")
			time.Sleep(5 * time.Millisecond)
			b := r.Register("the cache upload of web")
			return func() { a(); b() }
		}, func(int) []string { return []string{"the cache upload of app", "the cache upload of web"} }, false},
		{"a session in another process", func(t *testing.T, r *Record) func() {
			holder(t, r.Dir)
			return func() {}
		}, func(pid int) []string {
			return []string{fmt.Sprintf("the vm builder session (PID %d, since %s)", pid, time.Now().Format("15:04"))}
		}, false},
		{"a session whose process was killed", func(t *testing.T, r *Record) func() {
			_, stop := holder(t, r.Dir)
			stop(true)
			return func() {}
		}, func(int) []string { return nil }, true},
		{"an unlocked lease whose PID is alive", func(t *testing.T, r *Record) func() {
			b, _ := json.Marshal(User{What: "the vm builder session", PID: 1, Since: time.Now()})
			os.MkdirAll(r.Dir, 0o700)
			os.WriteFile(filepath.Join(r.Dir, "1-x.lease"), b, 0o600)
			return func() {}
		}, func(int) []string { return nil }, true},
		{"a temporary file", func(t *testing.T, r *Record) func() {
			os.MkdirAll(r.Dir, 0o700)
			os.WriteFile(filepath.Join(r.Dir, "1-x.tmp"), nil, 0o600)
			return func() {}
		}, func(int) []string { return nil }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Record{Dir: filepath.Join(t.TempDir(), "vm-users")}
			done := tt.setup(t, r)
			defer done()
			users, err := r.Users()
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			pid := 0
			for _, u := range users {
				got = append(got, u.String())
				pid = u.PID
			}
			if want := tt.want(pid); strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("users %q, want %q", got, want)
			}
			leases, _ := filepath.Glob(filepath.Join(r.Dir, "*.lease"))
			if tt.stale && len(leases) != 0 {
				t.Errorf("stale leases kept: %q", leases)
			}
			for _, l := range leases {
				if st, _ := os.Stat(l); st.Mode().Perm() != 0o600 {
					t.Errorf("lease %s is %v, want 0600", l, st.Mode().Perm())
				}
			}
		})
	}
}

// TestRegisterWarns: a lease that cannot be written is said, not hidden.
func TestRegisterWarns(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a file")
	os.WriteFile(file, nil, 0o600)
	var got error
	done := (&Record{Dir: filepath.Join(file, "vm-users"), Warn: func(err error) { got = err }}).Register("the cache upload of app")
	done()
	if got == nil || !strings.Contains(got.Error(), "record a user of the VM") {
		t.Errorf("warned %v, want the failure to record", got)
	}
}

// TestRegisterDone: done removes the lease at once, and twice is harmless.
func TestRegisterDone(t *testing.T) {
	r := &Record{Dir: t.TempDir()}
	done := r.Register("the cache upload of app")
	done()
	done()
	if users, _ := r.Users(); len(users) != 0 {
		t.Errorf("users after done: %v", users)
	}
	if leases, _ := filepath.Glob(filepath.Join(r.Dir, "*")); len(leases) != 0 {
		t.Errorf("files left: %q", leases)
	}
}

// TestWait: Wait returns at once with nobody on record, says what it
// waits for and returns when the users end (this process's and another
// process's), and gives up with ctx, naming what it waited for.
func TestWait(t *testing.T) {
	tests := []struct {
		name string
		// start registers users and returns what ends them (nil: never).
		start   func(t *testing.T, r *Record) (end func())
		cancel  bool
		wantErr error
		said    []string
	}{
		{"nobody", func(*testing.T, *Record) func() { return func() {} }, false, nil, nil},
		{"an upload that ends", func(_ *testing.T, r *Record) func() { return r.Register("the cache upload of app") },
			false, nil, []string{"waiting for the cache upload of app"}},
		{"an upload and a session", func(t *testing.T, r *Record) func() {
			done := r.Register("the cache upload of app")
			time.Sleep(5 * time.Millisecond)
			pid, stop := holder(t, r.Dir)
			_ = pid
			return func() { done(); time.Sleep(3 * r.Poll); stop(false) }
		}, false, nil, []string{"waiting for the cache upload of app and the vm builder session (PID", "waiting for the vm builder session (PID"}},
		{"cancelled", func(_ *testing.T, r *Record) func() { r.Register("the cache upload of app"); return nil },
			true, context.Canceled, []string{"waiting for the cache upload of app"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Record{Dir: t.TempDir(), Poll: 20 * time.Millisecond}
			end := tt.start(t, r)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var said []string
			errc := make(chan error, 1)
			saidc := make(chan string, 10)
			go func() { errc <- r.Wait(ctx, func(s string) { saidc <- s }) }()
			time.Sleep(100 * time.Millisecond)
			if tt.cancel {
				cancel()
			} else {
				end()
			}
			var err error
			select {
			case err = <-errc:
			case <-time.After(10 * time.Second):
				t.Fatal("Wait did not return")
			}
			close(saidc)
			for s := range saidc {
				said = append(said, s)
			}
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Errorf("Wait = %v, want %v", err, tt.wantErr)
			}
			if tt.cancel && (err == nil || !strings.Contains(err.Error(), "the cache upload of app")) {
				t.Errorf("the error %v does not say what was waited for", err)
			}
			if len(said) != len(tt.said) {
				t.Fatalf("said %q, want %q", said, tt.said)
			}
			for i := range said {
				if !strings.HasPrefix(said[i], tt.said[i]) {
					t.Errorf("said[%d] %q, want it to begin %q", i, said[i], tt.said[i])
				}
			}
		})
	}
}

// TestOtherUsersLease: a lease this process may not open counts while
// its PID lives (a proxy run by root's nix-daemon, seen by the user).
func TestOtherUsersLease(t *testing.T) {
	denied := func(string) (*os.File, error) { return nil, fs.ErrPermission }
	for _, tc := range []struct {
		pid  int
		want bool
	}{{os.Getppid(), true}, {1 << 22, false}} {
		path := filepath.Join(t.TempDir(), fmt.Sprintf("%d-x.lease", tc.pid))
		os.WriteFile(path, nil, 0o600)
		u, ok := readLease(path, denied)
		if ok != tc.want || (ok && (u.PID != tc.pid || u.What != SessionWhat || u.Since.IsZero())) {
			t.Errorf("PID %d: %+v %v, want %v", tc.pid, u, ok, tc.want)
		}
		if _, err := os.Stat(path); (err == nil) != tc.want {
			t.Errorf("PID %d: lease kept = %v, want %v", tc.pid, err == nil, tc.want)
		}
	}
}
