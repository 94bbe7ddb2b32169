package multipass_test

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"nixpass/builder/multipass"
	"nixpass/builder/multipass/multipasstest"
)

func TestVersionAndList(t *testing.T) {
	ctx := context.Background()
	f := newFake(t, nil, builderVM, multipasstest.FakeInstance{Name: "old", State: "Deleted", CPUs: 1, Memory: 1 << 30, Disk: 5 << 30})
	v, err := f.Version(ctx)
	if err != nil || v.Client == "" || v.Daemon == "" {
		t.Fatalf("version = %+v, %v", v, err)
	}
	got, err := f.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []multipass.ListItem{
		{Name: "builder", State: multipass.StateRunning, IPv4: []string{"192.168.64.5"}, Release: "Ubuntu 24.04.1 LTS"},
		{Name: "old", State: multipass.StateDeleted, IPv4: []string{}, Release: "Not Available"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("list = %+v, want %+v", got, want)
	}
	if argv := f.last(t); !reflect.DeepEqual(argv, []string{"list", "--format", "json"}) {
		t.Errorf("argv = %q", argv)
	}
}

func TestInfoStates(t *testing.T) {
	states := []multipass.State{multipass.StateRunning, multipass.StateStopped, multipass.StateSuspended,
		multipass.StateDeleted, multipass.StateStarting, multipass.StateDelayedShutdown, multipass.StateUnknown}
	for _, state := range states {
		t.Run(string(state), func(t *testing.T) {
			f := newFake(t, nil, withState(builderVM, string(state)))
			got, err := f.Info(context.Background(), "builder")
			if err != nil {
				t.Fatal(err)
			}
			if argv := f.last(t); !reflect.DeepEqual(argv, []string{"info", "builder", "--format", "json"}) {
				t.Errorf("argv = %q", argv)
			}
			up := state == multipass.StateRunning || state == multipass.StateDelayedShutdown
			if got.Name != "builder" || got.State != state || got.CPUs != 4 || got.DiskTotal() != 40<<30 || got.ImageRelease == "" {
				t.Errorf("got %+v", got)
			}
			// A stopped instance reports {} memory, a disk without
			// "used", no address, no load and an empty release.
			if up != (got.Memory.Total > 7<<30 && got.Memory.Used > 0 && got.DiskUsed() > 0 &&
				len(got.IPv4) == 1 && len(got.Load) == 3 && got.Release == "Ubuntu 24.04.1 LTS") {
				t.Errorf("runtime information of a %s instance: %+v", state, got)
			}
		})
	}
}

func TestInfoMissing(t *testing.T) {
	f := newFake(t, nil)
	inst, err := f.Info(context.Background(), "builder")
	var me *multipass.Error
	if !errors.As(err, &me) || !errors.Is(err, multipass.ErrInstanceMissing) || inst != nil {
		t.Fatalf("info = %+v, %v", inst, err)
	}
	if me.Code != 2 || me.Op != "info" || me.Instance != "builder" || me.Message != `instance "builder" does not exist` {
		t.Errorf("error = %#v", me)
	}
	if got, want := err.Error(), `multipass info "builder": instance "builder" does not exist`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got := multipass.Hint(err); got != "create it with: nixpass vm create" {
		t.Errorf("hint = %q", got)
	}
}

func TestLifecycle(t *testing.T) {
	ctx := context.Background()
	f := newFake(t, nil, builderVM)
	steps := []struct {
		name  string
		do    func() error
		argv  []string
		state multipass.State // "" means the instance is gone
	}{
		{"stop", func() error { return f.Stop(ctx, "builder", false) }, []string{"stop", "builder"}, multipass.StateStopped},
		{"stop again", func() error { return f.Stop(ctx, "builder", false) }, []string{"stop", "builder"}, multipass.StateStopped},
		{"start", func() error { return f.Start(ctx, "builder") }, []string{"start", "builder"}, multipass.StateRunning},
		{"start again", func() error { return f.Start(ctx, "builder") }, []string{"start", "builder"}, multipass.StateRunning},
		{"force stop", func() error { return f.Stop(ctx, "builder", true) }, []string{"stop", "--force", "builder"}, multipass.StateStopped},
		{"delete", func() error { return f.Delete(ctx, "builder", false) }, []string{"delete", "builder"}, multipass.StateDeleted},
		{"recover", func() error { return f.Recover(ctx, "builder") }, []string{"recover", "builder"}, multipass.StateStopped},
		{"purge", func() error { return f.Delete(ctx, "builder", true) }, []string{"delete", "--purge", "builder"}, ""},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := f.last(t); !reflect.DeepEqual(got, st.argv) {
			t.Errorf("%s: argv = %q, want %q", st.name, got, st.argv)
		}
		inst, err := f.Info(ctx, "builder")
		switch {
		case st.state == "" && !errors.Is(err, multipass.ErrInstanceMissing):
			t.Errorf("%s: info = %+v, %v; want ErrInstanceMissing", st.name, inst, err)
		case st.state != "" && (err != nil || inst.State != st.state):
			t.Errorf("%s: info = %+v, %v; want state %s", st.name, inst, err, st.state)
		}
	}
}

func TestLifecycleFailures(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		env     []string
		inst    []multipasstest.FakeInstance
		do      func(c *multipass.Client) error
		want    error
		message string
	}{
		{"start missing", nil, nil, func(c *multipass.Client) error { return c.Start(ctx, "builder") },
			multipass.ErrInstanceMissing, `instance "builder" does not exist`},
		{"stop missing", nil, nil, func(c *multipass.Client) error { return c.Stop(ctx, "builder", false) },
			multipass.ErrInstanceMissing, `instance "builder" does not exist`},
		{"delete missing", nil, nil, func(c *multipass.Client) error { return c.Delete(ctx, "builder", true) },
			multipass.ErrInstanceMissing, `instance "builder" does not exist`},
		{"recover missing", nil, nil, func(c *multipass.Client) error { return c.Recover(ctx, "builder") },
			multipass.ErrInstanceMissing, `instance "builder" does not exist`},
		{"start deleted", nil, []multipasstest.FakeInstance{withState(builderVM, "Deleted")}, func(c *multipass.Client) error { return c.Start(ctx, "builder") },
			multipass.ErrInstanceDeleted, `instance "builder" is deleted`},
		{"start fails", []string{multipasstest.EnvStartFail + "=cannot start: hypervisor error"}, []multipasstest.FakeInstance{withState(builderVM, "Suspended")},
			func(c *multipass.Client) error { return c.Start(ctx, "builder") }, multipass.ErrFailed, "cannot start: hypervisor error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.env, tt.inst...)
			err := tt.do(f.Client)
			var me *multipass.Error
			if !errors.As(err, &me) || !errors.Is(err, tt.want) || me.Code != 2 || me.Message != tt.message || me.Instance != "builder" {
				t.Errorf("got %#v, want %v with message %q", err, tt.want, tt.message)
			}
		})
	}
}

func TestStartSuspended(t *testing.T) {
	f := newFake(t, nil, withState(builderVM, "Suspended"))
	if err := f.Start(context.Background(), "builder"); err != nil {
		t.Fatal(err)
	}
	if got := f.world(t)["builder"].State; got != "Running" {
		t.Errorf("state after start = %s, want Running", got)
	}
}

func TestDaemonUnavailable(t *testing.T) {
	ctx := context.Background()
	for _, mode := range []struct{ value, code string }{{"1", "exit 3"}, {"2", "exit 2"}} {
		t.Run(mode.code, func(t *testing.T) {
			f := newFake(t, []string{multipasstest.EnvDaemonDown + "=" + mode.value}, builderVM)
			ops := map[string]func() error{
				"info":   func() error { _, err := f.Info(ctx, "builder"); return err },
				"list":   func() error { _, err := f.List(ctx); return err },
				"start":  func() error { return f.Start(ctx, "builder") },
				"launch": func() error { return f.Launch(ctx, multipass.LaunchOptions{Name: "x"}) },
				"set":    func() error { return f.Set(ctx, "local.builder.cpus", "2") },
				"get":    func() error { _, err := f.Get(ctx, "local.builder.cpus"); return err },
				"exec": func() error {
					_, err := f.Exec(ctx, "builder", multipass.ExecOptions{Args: []string{"true"}})
					return err
				},
				"mount": func() error { return f.Mount(ctx, t.TempDir(), "builder", "/x") },
			}
			for name, op := range ops {
				err := op()
				if !errors.Is(err, multipass.ErrDaemonUnavailable) || !strings.Contains(multipass.HintFor(err, "darwin"), "open -a Multipass") {
					t.Errorf("%s: %v", name, err)
				}
				if err != nil && !strings.Contains(err.Error(), "cannot connect to the multipass socket") {
					t.Errorf("%s: message %q lacks the daemon's words", name, err)
				}
			}
			// The client still answers for itself.
			if v, err := f.Version(ctx); err != nil || v.Client == "" || v.Daemon != "" {
				t.Errorf("version = %+v, %v; want the client's only", v, err)
			}
		})
	}
}

func TestSocketDenied(t *testing.T) {
	f := newFake(t, []string{multipasstest.EnvSocketDenied + "=1"}, builderVM)
	_, err := f.Info(context.Background(), "builder")
	if !errors.Is(err, multipass.ErrSocketDenied) || errors.Is(err, multipass.ErrDaemonUnavailable) || multipass.Hint(err) == "" {
		t.Errorf("info = %v (hint %q)", err, multipass.Hint(err))
	}
}

func TestNotInstalled(t *testing.T) {
	c := &multipass.Client{Bin: filepath.Join(t.TempDir(), "multipass")}
	_, err := c.Info(context.Background(), "builder")
	var me *multipass.Error
	if !errors.As(err, &me) || !errors.Is(err, multipass.ErrNotInstalled) || me.Code != -1 {
		t.Fatalf("err = %#v", err)
	}
	if got, want := multipass.HintFor(err, "darwin"), "install Multipass: brew install --cask multipass (https://multipass.run)"; got != want {
		t.Errorf("hint = %q, want %q", got, want)
	}
	// Not on PATH either.
	t.Setenv("PATH", t.TempDir())
	if _, err := (&multipass.Client{}).Version(context.Background()); !errors.Is(err, multipass.ErrNotInstalled) {
		t.Errorf("version without multipass on PATH: %v", err)
	}
}
