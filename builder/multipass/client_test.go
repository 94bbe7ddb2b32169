package multipass_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"nixpass/builder/multipass"
	"nixpass/builder/multipass/multipasstest"
	"nixpass/builder/runner"
)

func client(t *testing.T, extraEnv []string, instances ...multipasstest.FakeInstance) (*multipass.Client, string) {
	t.Helper()
	bin := multipasstest.Build(t)
	env, _, logPath := multipasstest.NewWorld(t, instances...)
	multipasstest.Setenv(t, append(env, extraEnv...))
	return &multipass.Client{Bin: bin}, logPath
}

var builderVM = multipasstest.FakeInstance{Name: "builder", State: "Running", CPUs: 4, Memory: 8 << 30, Disk: 40 << 30}

func withState(in multipasstest.FakeInstance, state string) multipasstest.FakeInstance {
	in.State = state
	return in
}

func TestInfoStates(t *testing.T) {
	tests := []struct {
		name    string
		inst    []multipasstest.FakeInstance
		env     []string
		want    multipass.State
		wantErr error
	}{
		{"running", []multipasstest.FakeInstance{builderVM}, nil, multipass.StateRunning, nil},
		{"stopped", []multipasstest.FakeInstance{withState(builderVM, "Stopped")}, nil, multipass.StateStopped, nil},
		{"suspended", []multipasstest.FakeInstance{withState(builderVM, "Suspended")}, nil, multipass.StateSuspended, nil},
		{"deleted", []multipasstest.FakeInstance{withState(builderVM, "Deleted")}, nil, multipass.StateDeleted, nil},
		{"missing", nil, nil, "", multipass.ErrInstanceMissing},
		{"daemon down", []multipasstest.FakeInstance{builderVM}, []string{"FAKE_MULTIPASS_DAEMON_DOWN=1"}, "", multipass.ErrDaemonUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := client(t, tt.env, tt.inst...)
			got, err := c.Info(context.Background(), "builder")
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				if multipass.Hint(err) == "" {
					t.Errorf("no hint for %v", err)
				}
				return
			}
			if got.State != tt.want || got.CPUs != 4 {
				t.Errorf("got state %q cpus %d, want %q 4", got.State, got.CPUs, tt.want)
			}
			if tt.want == multipass.StateRunning && (got.Memory.Total == 0 || got.DiskTotal() != 40<<30) {
				t.Errorf("running instance sizes: %+v", got)
			}
		})
	}
}

func TestNotInstalled(t *testing.T) {
	c := &multipass.Client{Bin: filepath.Join(t.TempDir(), "no-multipass")}
	_, err := c.Info(context.Background(), "builder")
	if !errors.Is(err, multipass.ErrNotInstalled) || !strings.Contains(multipass.Hint(err), "brew install --cask multipass") {
		t.Fatalf("err = %v, hint %q", err, multipass.Hint(err))
	}
}

func TestLaunch(t *testing.T) {
	ctx := context.Background()
	ci := filepath.Join(t.TempDir(), "ci.yaml")
	os.WriteFile(ci, []byte("#cloud-config\n"), 0o644)

	c, logPath := client(t, nil)
	if err := c.Launch(ctx, multipass.LaunchOptions{Name: "builder", Image: "24.04", CPUs: 2, Memory: "4G", Disk: "20G", CloudInit: ci}); err != nil {
		t.Fatal(err)
	}
	calls := multipasstest.Calls(t, logPath)
	want := []string{"launch", "24.04", "--name", "builder", "--cpus", "2", "--memory", "4G", "--disk", "20G", "--cloud-init", ci}
	if !reflect.DeepEqual(calls[0], want) {
		t.Errorf("argv = %q, want %q", calls[0], want)
	}
	inst, err := c.Info(ctx, "builder")
	if err != nil || inst.State != multipass.StateRunning || inst.CPUs != 2 {
		t.Fatalf("after launch: %+v %v", inst, err)
	}
	err = c.Launch(ctx, multipass.LaunchOptions{Name: "builder"})
	if !errors.Is(err, multipass.ErrAlreadyExists) {
		t.Errorf("second launch: %v", err)
	}
	err = c.Launch(ctx, multipass.LaunchOptions{Name: "other", Memory: "8X"})
	if !errors.Is(err, multipass.ErrInvalidSize) {
		t.Errorf("bad size: %v", err)
	}

	c2, _ := client(t, []string{"FAKE_MULTIPASS_LAUNCH_FAIL=failed to download image"})
	err = c2.Launch(ctx, multipass.LaunchOptions{Name: "builder"})
	var me *multipass.Error
	if !errors.As(err, &me) || me.Code != 2 || !strings.Contains(me.Message, "failed to download image") {
		t.Errorf("launch failure: %v", err)
	}
}

func TestSetNeedsStoppedInstance(t *testing.T) {
	ctx := context.Background()
	c, _ := client(t, nil, builderVM)
	err := c.Set(ctx, "local.builder.memory", "16G")
	if !errors.Is(err, multipass.ErrMustBeStopped) || !strings.Contains(multipass.Hint(err), "nixpass vm stop") {
		t.Fatalf("set on running: %v", err)
	}
	if err := c.Stop(ctx, "builder", false); err != nil {
		t.Fatal(err)
	}
	if err := c.Set(ctx, "local.builder.memory", "16G"); err != nil {
		t.Fatal(err)
	}
	if v, err := c.Get(ctx, "local.builder.memory"); err != nil || v != "17179869184" {
		t.Errorf("get memory = %q, %v", v, err)
	}
}

func TestExecArgvSurvivesQuoting(t *testing.T) {
	c, _ := client(t, nil, builderVM)
	dir := t.TempDir()
	hostile := []string{"two words", `it's "quoted"`, "$(touch " + filepath.Join(dir, "pwned") + ")", "`touch " + filepath.Join(dir, "pwned2") + "`", "new\nline", "ünïcødé", ""}
	var out bytes.Buffer
	_, err := c.Exec(context.Background(), "builder", multipass.ExecOptions{
		Args:   append([]string{"sh", "-c", `for a in "$@"; do printf '<%s>' "$a"; done`, "sh"}, hostile...),
		Stdout: &out,
	})
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for _, a := range hostile {
		want.WriteString("<" + a + ">")
	}
	if out.String() != want.String() {
		t.Errorf("argv changed in transit:\n got %q\nwant %q", out.String(), want.String())
	}
	for _, f := range []string{"pwned", "pwned2"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("an argument was executed: %s exists", f)
		}
	}
}

func TestExecStatuses(t *testing.T) {
	ctx := context.Background()
	t.Run("remote status is not classified", func(t *testing.T) {
		c, _ := client(t, nil, builderVM)
		_, err := c.Exec(ctx, "builder", multipass.ExecOptions{Args: []string{"sh", "-c", "kill -KILL $$"}})
		var xe *runner.ExitError
		if !errors.As(err, &xe) || xe.Code != 137 {
			t.Fatalf("err = %v, want remote status 137", err)
		}
		var me *multipass.Error
		if errors.As(err, &me) {
			t.Errorf("a remote status was classified as a Multipass error: %v", me)
		}
		_, err = c.Exec(ctx, "builder", multipass.ExecOptions{Args: []string{"sh", "-c", "exit 3"}})
		if !errors.As(err, &xe) || xe.Code != 3 || errors.Is(err, multipass.ErrDaemonUnavailable) {
			t.Errorf("exit 3 of the command: %v", err)
		}
	})
	t.Run("ssh failure", func(t *testing.T) {
		c, _ := client(t, []string{"FAKE_MULTIPASS_EXEC_FAIL=1"}, builderVM)
		_, err := c.Exec(ctx, "builder", multipass.ExecOptions{Args: []string{"true"}})
		if !errors.Is(err, multipass.ErrExecFailed) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("missing instance", func(t *testing.T) {
		c, _ := client(t, nil)
		_, err := c.Exec(ctx, "builder", multipass.ExecOptions{Args: []string{"true"}})
		if !errors.Is(err, multipass.ErrInstanceMissing) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("stopped instance is started", func(t *testing.T) {
		c, _ := client(t, nil, withState(builderVM, "Stopped"))
		if _, err := c.Exec(ctx, "builder", multipass.ExecOptions{Args: []string{"true"}}); err != nil {
			t.Fatal(err)
		}
		inst, _ := c.Info(ctx, "builder")
		if inst.State != multipass.StateRunning {
			t.Errorf("state = %s, want Running", inst.State)
		}
	})
}

func TestMounts(t *testing.T) {
	ctx := context.Background()
	src := t.TempDir()
	c, logPath := client(t, nil, builderVM)
	if err := c.Mount(ctx, src, "builder", src); err != nil {
		t.Fatal(err)
	}
	calls := multipasstest.Calls(t, logPath)
	if got := calls[len(calls)-1]; !reflect.DeepEqual(got, []string{"mount", src, "builder:" + src}) {
		t.Errorf("mount argv = %q", got)
	}
	inst, err := c.Info(ctx, "builder")
	if err != nil {
		t.Fatal(err)
	}
	if g, ok := inst.MountFor(filepath.Join(src, "sub")); !ok || g != filepath.Join(src, "sub") {
		t.Errorf("MountFor(sub) = %q %v", g, ok)
	}
	if _, ok := inst.MountFor(src + "x"); ok {
		t.Error("MountFor matched a sibling folder with a common prefix")
	}
	err = c.Mount(ctx, filepath.Join(src, "nope"), "builder", "/x")
	if err == nil || !strings.Contains(err.Error(), "does not exist") || errors.Is(err, multipass.ErrInstanceMissing) {
		t.Errorf("mount of a missing source folder: %v (must not read as a missing instance)", err)
	}
}
