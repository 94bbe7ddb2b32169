package multipass

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"syscall"
	"testing"
	"time"

	"nixpass/builder/runner"
)

func TestLaunchArgs(t *testing.T) {
	tests := []struct {
		opt  LaunchOptions
		want []string
	}{
		{LaunchOptions{}, []string{"launch"}},
		{LaunchOptions{Name: "b", Image: "24.04", CPUs: 4, Memory: "8G", Disk: "40G", CloudInit: "/tmp/ci.yaml", Timeout: 20 * time.Minute},
			[]string{"launch", "24.04", "--name", "b", "--cpus", "4", "--memory", "8G", "--disk", "40G", "--cloud-init", "/tmp/ci.yaml", "--timeout", "1200"}},
		// Multipass refuses "--timeout 0": round up.
		{LaunchOptions{Name: "b", Timeout: 1500 * time.Millisecond}, []string{"launch", "--name", "b", "--timeout", "2"}},
		{LaunchOptions{Name: "b", Timeout: time.Millisecond}, []string{"launch", "--name", "b", "--timeout", "1"}},
	}
	for _, tt := range tests {
		if got := launchArgs(tt.opt); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("launchArgs(%+v) = %q, want %q", tt.opt, got, tt.want)
		}
	}
}

func TestExecArgs(t *testing.T) {
	tests := []struct {
		opt  ExecOptions
		want []string
	}{
		{ExecOptions{Args: []string{"ls", "-l"}}, []string{"exec", "b", "-n", "--", "ls", "-l"}},
		{ExecOptions{Args: []string{"ls"}, Dir: "/a b"}, []string{"exec", "b", "-d", "/a b", "--", "ls"}},
		{ExecOptions{Args: []string{"sudo", "ls", "a;b"}}, []string{"exec", "b", "-n", "--", "sudo", "ls", "a;b"}},
		{ExecOptions{Args: []string{"sudo", "ls", "a;b"}, Dir: "/a b"},
			[]string{"exec", "b", "-n", "--", "sh", "-c", workInDir, "sh", "/a b", "sudo", "ls", "a;b"}},
	}
	for _, tt := range tests {
		if got := execArgs("b", tt.opt); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("execArgs(%+v) = %q, want %q", tt.opt, got, tt.want)
		}
	}
}

func TestSettingInstance(t *testing.T) {
	tests := map[string]string{
		"local.builder.memory": "builder",
		"local.my.vm.disk":     "my.vm",
		"client.primary-name":  "",
		"local.driver":         "",
		"local.builder.":       "builder",
	}
	for key, want := range tests {
		if got := settingInstance(key); got != want {
			t.Errorf("settingInstance(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestInstancePath(t *testing.T) {
	tests := []struct {
		p, name, rest string
		ok            bool
	}{
		{"builder:/tmp/x", "builder", "/tmp/x", true},
		{"builder:", "builder", "", true},
		{"/tmp/a:b", "", "/tmp/a:b", false},
		{"./a:b", "", "./a:b", false},
		{":x", "", ":x", false},
		{"plain", "", "plain", false},
	}
	for _, tt := range tests {
		name, rest, ok := instancePath(tt.p)
		if name != tt.name || rest != tt.rest || ok != tt.ok {
			t.Errorf("instancePath(%q) = %q, %q, %v", tt.p, name, rest, ok)
		}
	}
}

// recorder is a runner.Runner that records commands and answers from a
// table keyed by the verb.
type recorder struct {
	cmds    []runner.Cmd
	answers map[string]*runner.Result
}

func (r *recorder) Run(_ context.Context, c runner.Cmd) (*runner.Result, error) {
	r.cmds = append(r.cmds, c)
	if res, ok := r.answers[c.Args[0]]; ok {
		return res, nil
	}
	return &runner.Result{ExitCode: 2, Stderr: []byte(c.Args[0] + " failed: no answer")},
		&runner.ExitError{Argv: append([]string{c.Name}, c.Args...), Code: 2, Stderr: c.Args[0] + " failed: no answer"}
}

func TestClientUsesRunner(t *testing.T) {
	rec := &recorder{answers: map[string]*runner.Result{
		"version": {Stdout: readTestdata(t, "version.json")},
		"info":    {Stdout: readTestdata(t, "info-running.json")},
	}}
	c := &Client{Runner: rec}
	ctx := context.Background()
	if v, err := c.Version(ctx); err != nil || v.Daemon != "1.16.1+mac" {
		t.Errorf("version = %+v, %v", v, err)
	}
	if inst, err := c.Info(ctx, "builder"); err != nil || inst.CPUs != 4 {
		t.Errorf("info = %+v, %v", inst, err)
	}
	err := c.Start(ctx, "builder")
	if !errors.Is(err, ErrFailed) || err.Error() != `multipass start "builder": no answer` {
		t.Errorf("start = %v", err)
	}
	want := [][]string{{"version", "--format", "json"}, {"info", "builder", "--format", "json"}, {"start", "builder"}}
	for i, cmd := range rec.cmds {
		if cmd.Name != "multipass" || !reflect.DeepEqual(cmd.Args, want[i]) {
			t.Errorf("command %d = %s %q, want multipass %q", i, cmd.Name, cmd.Args, want[i])
		}
	}
}

// cancelled is a runner.Runner whose command is killed by its context, as
// runner.Exec reports it.
type cancelled struct{}

func (cancelled) Run(ctx context.Context, c runner.Cmd) (*runner.Result, error) {
	xe := &runner.ExitError{Argv: append([]string{c.Name}, c.Args...), Code: -1, Signal: syscall.SIGTERM}
	return &runner.Result{ExitCode: -1, Signal: syscall.SIGTERM}, fmt.Errorf("%w (%w)", context.Cause(ctx), xe)
}

func TestCancelledCommand(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c := &Client{Runner: cancelled{}}
	_, err := c.Info(ctx, "builder")
	var e *Error
	if !errors.Is(err, context.Canceled) || !errors.As(err, &e) || e.Op != "info" || e.Code != -1 || errors.As(err, new(*runner.ExitError)) {
		t.Errorf("info: %#v", err)
	}
	// exec keeps the runner's error: the cause and the local status.
	_, err = c.Exec(ctx, "builder", ExecOptions{Args: []string{"true"}})
	if !errors.Is(err, context.Canceled) || errors.As(err, &e) || !errors.As(err, new(*runner.ExitError)) {
		t.Errorf("exec: %#v", err)
	}
}
