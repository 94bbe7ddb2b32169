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
	"time"

	"nixpass/builder/multipass"
	"nixpass/builder/multipass/multipasstest"
)

func TestLaunch(t *testing.T) {
	ctx := context.Background()
	ci := filepath.Join(t.TempDir(), "user-data.yaml")
	if err := os.WriteFile(ci, []byte("#cloud-config\npackages: [jq]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f := newFake(t, nil)
	var progress bytes.Buffer
	err := f.Launch(ctx, multipass.LaunchOptions{Name: "builder", Image: "24.04", CPUs: 2, Memory: "4G", Disk: "20G",
		CloudInit: ci, Timeout: 10 * time.Minute, Stdout: &progress})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"launch", "24.04", "--name", "builder", "--cpus", "2", "--memory", "4G", "--disk", "20G", "--cloud-init", ci, "--timeout", "600"}
	if got := f.last(t); !reflect.DeepEqual(got, want) {
		t.Errorf("argv = %q, want %q", got, want)
	}
	if !strings.Contains(progress.String(), "Launched: builder") {
		t.Errorf("progress = %q", progress.String())
	}
	got := f.world(t)["builder"]
	if got.State != "Running" || got.CPUs != 2 || got.Memory != 4<<30 || got.Disk != 20<<30 || got.Image != "24.04" ||
		got.CloudInit != ci || !strings.Contains(got.CloudInitData, "packages: [jq]") {
		t.Errorf("launched %+v", got)
	}
	inst, err := f.Info(ctx, "builder")
	if err != nil || inst.State != multipass.StateRunning || inst.CPUs != 2 || inst.DiskTotal() != 20<<30 {
		t.Errorf("info after launch: %+v, %v", inst, err)
	}
}

func TestLaunchDefaults(t *testing.T) {
	f := newFake(t, nil)
	if err := f.Launch(context.Background(), multipass.LaunchOptions{Name: "builder"}); err != nil {
		t.Fatal(err)
	}
	if got := f.last(t); !reflect.DeepEqual(got, []string{"launch", "--name", "builder"}) {
		t.Errorf("argv = %q", got)
	}
	// The contract's defaults: 1 CPU, 1G memory, 5G disk.
	got := f.world(t)["builder"]
	if got.CPUs != 1 || got.Memory != 1<<30 || got.Disk != 5<<30 || got.State != "Running" {
		t.Errorf("launched %+v", got)
	}
}

func TestLaunchFailures(t *testing.T) {
	tests := []struct {
		name    string
		env     []string
		inst    []multipasstest.FakeInstance
		opt     multipass.LaunchOptions
		want    error
		code    int
		message string
	}{
		{"name taken", nil, []multipasstest.FakeInstance{builderVM}, multipass.LaunchOptions{Name: "builder"},
			multipass.ErrAlreadyExists, 2, `instance "builder" already exists`},
		{"name taken by a deleted instance", nil, []multipasstest.FakeInstance{withState(builderVM, "Deleted")}, multipass.LaunchOptions{Name: "builder"},
			multipass.ErrAlreadyExists, 2, `instance "builder" already exists`},
		{"memory below minimum", nil, nil, multipass.LaunchOptions{Name: "builder", Memory: "511M"},
			multipass.ErrInvalidSize, 2, "Invalid arguments supplied; Invalid memory size value supplied: 511M."},
		{"disk below minimum", nil, nil, multipass.LaunchOptions{Name: "builder", Disk: "1023M"},
			multipass.ErrInvalidSize, 2, "Invalid arguments supplied; Invalid disk size value supplied: 1023M."},
		{"malformed size", nil, nil, multipass.LaunchOptions{Name: "builder", Memory: "8X"},
			multipass.ErrInvalidSize, 1, "[error] [client] Caught an unhandled exception: 8X is not a valid memory size - need a non-negative integer (in base 10) or a decimal followed by K, M, or G (e.g. 1234B, 42MiB, 0.5G)"},
		{"bad name", nil, nil, multipass.LaunchOptions{Name: "no_underscores"},
			multipass.ErrFailed, 2, "Invalid arguments supplied; Invalid instance name supplied: no_underscores"},
		{"missing cloud-init", nil, nil, multipass.LaunchOptions{Name: "builder", CloudInit: "/nonexistent/user-data"},
			multipass.ErrUsage, 1, "Could not load cloud-init configuration: bad file: /nonexistent/user-data; Please ensure that Multipass can read it."},
		{"launch fails", []string{multipasstest.EnvLaunchFail + "=failed to download image: timed out"}, nil, multipass.LaunchOptions{Name: "builder"},
			multipass.ErrFailed, 2, "failed to download image: timed out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.env, tt.inst...)
			err := f.Launch(context.Background(), tt.opt)
			var me *multipass.Error
			if !errors.As(err, &me) || !errors.Is(err, tt.want) || me.Code != tt.code || me.Message != tt.message || me.Op != "launch" {
				t.Fatalf("got %#v\nwant %v, code %d, message %q", err, tt.want, tt.code, tt.message)
			}
			if n := len(f.world(t)); n != len(tt.inst) {
				t.Errorf("a failed launch left %d instances, want %d", n, len(tt.inst))
			}
		})
	}
}

func TestLaunchSizes(t *testing.T) {
	tests := []struct {
		memory, disk string
		mem, dsk     int64
	}{
		{"512M", "1G", 512 << 20, 1 << 30},
		{"8589934592", "40GiB", 8 << 30, 40 << 30},
		{"1.5G", "10gb", 3 << 29, 10 << 30},
	}
	for _, tt := range tests {
		f := newFake(t, nil)
		if err := f.Launch(context.Background(), multipass.LaunchOptions{Name: "b", Memory: tt.memory, Disk: tt.disk}); err != nil {
			t.Errorf("launch --memory %q --disk %q: %v", tt.memory, tt.disk, err)
			continue
		}
		if got := f.world(t)["b"]; got.Memory != tt.mem || got.Disk != tt.dsk {
			t.Errorf("launch --memory %q --disk %q made %d/%d bytes, want %d/%d", tt.memory, tt.disk, got.Memory, got.Disk, tt.mem, tt.dsk)
		}
	}
}
