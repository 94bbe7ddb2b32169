package multipass_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"nixpass/builder/multipass"
	"nixpass/builder/multipass/multipasstest"
)

func TestSetNeedsStoppedInstance(t *testing.T) {
	ctx := context.Background()
	f := newFake(t, nil, builderVM)
	err := f.Set(ctx, "local.builder.memory", "16G")
	var me *multipass.Error
	if !errors.As(err, &me) || !errors.Is(err, multipass.ErrMustBeStopped) || me.Instance != "builder" || me.Code != 2 {
		t.Fatalf("set on a running instance: %#v", err)
	}
	if got, want := multipass.Hint(err), "stop the VM first: nixpass vm stop"; got != want {
		t.Errorf("hint = %q, want %q", got, want)
	}
	if got := f.last(t); !reflect.DeepEqual(got, []string{"set", "local.builder.memory=16G"}) {
		t.Errorf("argv = %q", got)
	}
	if err := f.Stop(ctx, "builder", false); err != nil {
		t.Fatal(err)
	}
	for key, value := range map[string]string{"cpus": "8", "memory": "16G", "disk": "64G"} {
		if err := f.Set(ctx, "local.builder."+key, value); err != nil {
			t.Fatalf("set %s: %v", key, err)
		}
	}
	// Sizes come back as Multipass prints them.
	for key, want := range map[string]string{"cpus": "8", "memory": "16.0GiB", "disk": "64.0GiB"} {
		if got, err := f.Get(ctx, "local.builder."+key); err != nil || got != want {
			t.Errorf("get %s = %q, %v; want %q", key, got, err, want)
		}
	}
	if got := f.world(t)["builder"]; got.CPUs != 8 || got.Memory != 16<<30 || got.Disk != 64<<30 {
		t.Errorf("after set: %+v", got)
	}
}

func TestSetFailures(t *testing.T) {
	stopped := withState(builderVM, "Stopped")
	tests := []struct {
		name, key, value string
		inst             []multipasstest.FakeInstance
		want             error
		message          string
	}{
		{"disk only grows", "local.builder.disk", "20G", []multipasstest.FakeInstance{stopped},
			multipass.ErrInvalidSize, "Invalid setting 'local.builder.disk=20G': Disk can only be expanded"},
		{"memory below minimum", "local.builder.memory", "256M", []multipasstest.FakeInstance{stopped},
			multipass.ErrInvalidSize, "Invalid setting 'local.builder.memory=256M': Memory less than 512M minimum not allowed"},
		{"malformed size", "local.builder.memory", "lots", []multipasstest.FakeInstance{stopped},
			multipass.ErrInvalidSize, "Invalid setting 'local.builder.memory=lots': lots is not a valid memory size - need a non-negative integer (in base 10) or a decimal followed by K, M, or G (e.g. 1234B, 42MiB, 0.5G)"},
		{"cpus", "local.builder.cpus", "0", []multipasstest.FakeInstance{stopped},
			multipass.ErrFailed, "Invalid setting 'local.builder.cpus=0': Need a positive integer (in decimal format) of minimum 1"},
		{"missing instance", "local.builder.cpus", "2", nil,
			multipass.ErrInstanceMissing, "Cannot update instance settings; instance: builder; reason: No such instance"},
		{"deleted instance", "local.builder.cpus", "2", []multipasstest.FakeInstance{withState(builderVM, "Deleted")},
			multipass.ErrInstanceDeleted, "Cannot update instance settings; instance: builder; reason: Instance is deleted"},
		// The state is checked before the value.
		{"running, bad value", "local.builder.disk", "1G", []multipasstest.FakeInstance{builderVM},
			multipass.ErrMustBeStopped, "Cannot update instance settings; instance: builder; reason: Instance must be stopped for modification"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, nil, tt.inst...)
			err := f.Set(context.Background(), tt.key, tt.value)
			var me *multipass.Error
			if !errors.As(err, &me) || !errors.Is(err, tt.want) || me.Message != tt.message || me.Op != "set" || me.Instance != "builder" {
				t.Errorf("got %#v\nwant %v, %q", err, tt.want, tt.message)
			}
			if len(tt.inst) > 0 && !reflect.DeepEqual(f.world(t)["builder"].Disk, tt.inst[0].Disk) {
				t.Error("a failed set changed the instance")
			}
		})
	}
}

func TestGetMissing(t *testing.T) {
	f := newFake(t, nil)
	_, err := f.Get(context.Background(), "local.builder.memory")
	if !errors.Is(err, multipass.ErrInstanceMissing) || !strings.Contains(err.Error(), "No such instance") {
		t.Errorf("get of a missing instance: %v", err)
	}
}
