package multipass_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"nixpass/builder/multipass"
	"nixpass/builder/multipass/multipasstest"
	"nixpass/builder/runner"
)

// hostile are arguments a shell would mangle or run; canary files show
// whether anything ran.
func hostile(dir string) []string {
	return []string{
		"two words", `it's "quoted"`, `'`, `"`, "$(touch " + filepath.Join(dir, "pwned") + ")",
		"`touch " + filepath.Join(dir, "pwned2") + "`", "a;touch " + filepath.Join(dir, "pwned3"), "x|y&z", ">out",
		"new\nline", "trailing newline\n", "\\\n", "tab\there", "ünïcødé ✓ 日本", "", `back\slash\`, "*", "~", "$HOME",
		"!1", "-n", "--", "{a,b}", "%s", "trailing space ",
	}
}

func assertNothingRan(t *testing.T, dir string) {
	t.Helper()
	for _, f := range []string{"pwned", "pwned2", "pwned3", "out"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("an argument was executed: %s exists", f)
		}
	}
}

// nulSeparated is what printf '%s\000' ARGS... prints.
func nulSeparated(args []string) string {
	var b strings.Builder
	for _, a := range args {
		b.WriteString(a + "\x00")
	}
	return b.String()
}

func TestExecArgvArrivesByteExact(t *testing.T) {
	f := newFake(t, nil, builderVM)
	dir := t.TempDir()
	args := hostile(dir)
	var live bytes.Buffer
	res, err := f.Exec(context.Background(), "builder", multipass.ExecOptions{
		Args:   append([]string{"printf", `%s\000`}, args...),
		Stdout: &live,
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := nulSeparated(args); string(res.Stdout) != want || live.String() != want {
		t.Errorf("argv changed in transit:\n got %q\nwant %q", res.Stdout, want)
	}
	assertNothingRan(t, dir)
	want := append([]string{"exec", "builder", "-n", "--", "printf", `%s\000`}, args...)
	if got := f.last(t); !reflect.DeepEqual(got, want) {
		t.Errorf("argv = %q, want %q", got, want)
	}
}

func TestExecDir(t *testing.T) {
	f := newFake(t, nil, builderVM)
	canaries := t.TempDir()
	// A folder name holds no slash: the canary's path comes from the
	// environment, which the command would inherit.
	t.Setenv("CANARY", filepath.Join(canaries, "pwned"))
	dir := filepath.Join(t.TempDir(), "a b'c $(touch $CANARY) `touch $CANARY`")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	res, err := f.Exec(context.Background(), "builder", multipass.ExecOptions{Args: []string{"pwd"}, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSuffix(string(res.Stdout), "\n"); got != dir {
		t.Errorf("pwd = %q, want %q", got, dir)
	}
	if got := f.last(t); !reflect.DeepEqual(got, []string{"exec", "builder", "-d", dir, "--", "pwd"}) {
		t.Errorf("argv = %q", got)
	}
	assertNothingRan(t, canaries)

	// A missing folder is the remote shell's failure, not Multipass's.
	_, err = f.Exec(context.Background(), "builder", multipass.ExecOptions{Args: []string{"true"}, Dir: filepath.Join(dir, "nope")})
	var xe *runner.ExitError
	if !errors.As(err, &xe) || xe.Code == 0 || errors.As(err, new(*multipass.Error)) {
		t.Errorf("exec in a missing folder: %v", err)
	}
}

// With -d, Multipass joins a sudo command's arguments unescaped (the fake
// does too, as the first part shows); the client must not use -d then.
func TestExecSudoInDir(t *testing.T) {
	f := newFake(t, nil, builderVM)
	canaries := t.TempDir()
	line := "a;touch " + filepath.Join(canaries, "pwned")

	hazard := exec.Command(f.Bin, "exec", "builder", "-d", canaries, "--", "sudo", "printf", "%s", line)
	_ = hazard.Run()
	if _, err := os.Stat(filepath.Join(canaries, "pwned")); err != nil {
		t.Fatal("the fake does not reproduce Multipass's unescaped sudo line")
	}
	os.Remove(filepath.Join(canaries, "pwned"))

	stubOnPath(t, "sudo", `exec "$@"`)
	dir := t.TempDir()
	args := hostile(canaries)
	res, err := f.Exec(context.Background(), "builder", multipass.ExecOptions{
		Args: append([]string{"sudo", "sh", "-c", `pwd; printf '%s\000' "$@"`, "sh"}, args...),
		Dir:  dir,
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := dir + "\n" + nulSeparated(args); string(res.Stdout) != want {
		t.Errorf("output:\n got %q\nwant %q", res.Stdout, want)
	}
	assertNothingRan(t, canaries)
}

func TestExecStdin(t *testing.T) {
	f := newFake(t, nil, builderVM)
	res, err := f.Exec(context.Background(), "builder", multipass.ExecOptions{Args: []string{"cat"}, Stdin: strings.NewReader("from\x00stdin\n")})
	if err != nil || string(res.Stdout) != "from\x00stdin\n" {
		t.Errorf("cat = %q, %v", res.Stdout, err)
	}
	// Without Stdin the command reads an empty input, not the test's.
	res, err = f.Exec(context.Background(), "builder", multipass.ExecOptions{Args: []string{"wc", "-c"}})
	if err != nil || strings.TrimSpace(string(res.Stdout)) != "0" {
		t.Errorf("wc -c = %q, %v", res.Stdout, err)
	}
}

// The remote command's status is the caller's to read: never classified
// as a Multipass failure, whatever the number or the output.
func TestExecRemoteStatus(t *testing.T) {
	tests := []struct {
		name   string
		script string
		code   int
	}{
		{"killed by SIGKILL", "kill -KILL $$", 128 + int(syscall.SIGKILL)},
		{"killed by SIGTERM", "kill -TERM $$", 128 + int(syscall.SIGTERM)},
		{"exit 1", "exit 1", 1},
		{"exit 2, says does not exist", `echo 'instance "builder" does not exist' >&2; exit 2`, 2},
		{"exit 3, says socket", "echo 'cannot connect to the multipass socket' >&2; exit 3", 3},
		{"exit 255", "exit 255", 255},
		{"not found", "exec no-such-command-nixpass", 127},
	}
	f := newFake(t, nil, builderVM)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := f.Exec(context.Background(), "builder", multipass.ExecOptions{Args: []string{"sh", "-c", "echo out; " + tt.script}})
			var xe *runner.ExitError
			if !errors.As(err, &xe) || xe.Code != tt.code || errors.As(err, new(*multipass.Error)) {
				t.Fatalf("err = %#v, want *runner.ExitError with code %d", err, tt.code)
			}
			if res == nil || res.ExitCode != tt.code || string(res.Stdout) != "out\n" {
				t.Errorf("result = %+v", res)
			}
		})
	}
}

func TestExecMultipassFailures(t *testing.T) {
	tests := []struct {
		name    string
		env     []string
		inst    []multipasstest.FakeInstance
		want    error
		code    int
		message string
		stdout  string
	}{
		{"missing", nil, nil, multipass.ErrInstanceMissing, 2, `instance "builder" does not exist`, ""},
		{"deleted", nil, []multipasstest.FakeInstance{withState(builderVM, "Deleted")}, multipass.ErrInstanceDeleted, 2, `instance "builder" is deleted`, ""},
		{"ssh fails", []string{multipasstest.EnvExecFail + "=1"}, []multipasstest.FakeInstance{builderVM},
			multipass.ErrExecFailed, 255, "ssh connection failed: 'Socket error: Connection reset by peer'", ""},
		{"ssh fails mid-command", []string{multipasstest.EnvExecFail + "=after"}, []multipasstest.FakeInstance{builderVM},
			multipass.ErrExecFailed, 255, "ssh connection failed: 'Socket error: Connection reset by peer'", "started\n"},
		{"implicit start fails", []string{multipasstest.EnvStartFail + "=cannot start: hypervisor error"}, []multipasstest.FakeInstance{withState(builderVM, "Stopped")},
			multipass.ErrFailed, 2, "cannot start: hypervisor error", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.env, tt.inst...)
			res, err := f.Exec(context.Background(), "builder", multipass.ExecOptions{Args: []string{"sh", "-c", "echo started; echo oops >&2"}})
			var me *multipass.Error
			if !errors.As(err, &me) || !errors.Is(err, tt.want) || me.Code != tt.code || me.Message != tt.message || me.Op != "exec" || me.Instance != "builder" {
				t.Fatalf("got %#v\nwant %v, code %d, message %q", err, tt.want, tt.code, tt.message)
			}
			if errors.As(err, new(*runner.ExitError)) {
				t.Error("a Multipass failure passes for the remote command's status")
			}
			if res == nil || string(res.Stdout) != tt.stdout {
				t.Errorf("stdout = %q, want %q", res.Stdout, tt.stdout)
			}
			if tt.want == multipass.ErrExecFailed && !strings.Contains(multipass.Hint(err), "nixpass vm status") {
				t.Errorf("hint = %q", multipass.Hint(err))
			}
		})
	}
}

func TestExecStartsStoppedInstance(t *testing.T) {
	for _, state := range []string{"Stopped", "Suspended"} {
		t.Run(state, func(t *testing.T) {
			f := newFake(t, nil, withState(builderVM, state))
			res, err := f.Exec(context.Background(), "builder", multipass.ExecOptions{Args: []string{"echo", "hi"}})
			if err != nil || string(res.Stdout) != "hi\n" {
				t.Fatalf("exec = %q, %v", res.Stdout, err)
			}
			if got := f.world(t)["builder"].State; got != "Running" {
				t.Errorf("state after exec = %s, want Running", got)
			}
		})
	}
}

// Per the contract, killing the local client does not stop the remote
// command: the caller gets the cancellation, and the command must be
// stopped from inside the instance.
func TestExecCancelLeavesRemoteCommand(t *testing.T) {
	f := newFake(t, nil, builderVM)
	pidFile := filepath.Join(t.TempDir(), "pid")
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := f.Exec(ctx, "builder", multipass.ExecOptions{Args: []string{"sh", "-c", `echo $$ > "$1"; exec sleep 300`, "sh", pidFile}})
		errc <- err
	}()
	var pid int
	for deadline := time.Now().Add(10 * time.Second); pid == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the command never started")
		}
		b, _ := os.ReadFile(pidFile)
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) || errors.As(err, new(*multipass.Error)) {
			t.Errorf("err = %v, want the cancellation, unclassified", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("exec did not return after cancel")
	}
	if err := syscall.Kill(pid, 0); err != nil {
		t.Errorf("the remote command died with the client (%v); Multipass does not do that", err)
	}
}
