package multipass_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"nixpass/builder/multipass"
	"nixpass/builder/multipass/multipasstest"
)

func TestMountAndMountFor(t *testing.T) {
	ctx := context.Background()
	src := t.TempDir()
	f := newFake(t, nil, builderVM)
	if err := f.Mount(ctx, src, "builder", "/home/ubuntu/app"); err != nil {
		t.Fatal(err)
	}
	if got := f.last(t); !reflect.DeepEqual(got, []string{"mount", src, "builder:/home/ubuntu/app"}) {
		t.Errorf("argv = %q", got)
	}
	inst, err := f.Info(ctx, "builder")
	if err != nil {
		t.Fatal(err)
	}
	m, ok := inst.Mounts["/home/ubuntu/app"]
	if !ok || m.SourcePath != src || len(m.UIDMappings) != 1 || len(m.GIDMappings) != 1 {
		t.Fatalf("mounts = %+v", inst.Mounts)
	}
	tests := map[string]string{
		src:                            "/home/ubuntu/app",
		filepath.Join(src, "sub", "x"): "/home/ubuntu/app/sub/x",
		src + "x":                      "",
		filepath.Dir(src):              "",
	}
	for host, want := range tests {
		got, ok := inst.MountFor(host)
		if got != want || ok != (want != "") {
			t.Errorf("MountFor(%q) = %q, %v; want %q", host, got, ok, want)
		}
	}

	if err := f.Umount(ctx, "builder", "/home/ubuntu/app"); err != nil {
		t.Fatal(err)
	}
	if got := f.last(t); !reflect.DeepEqual(got, []string{"umount", "builder:/home/ubuntu/app"}) {
		t.Errorf("argv = %q", got)
	}
	if inst, err := f.Info(ctx, "builder"); err != nil || len(inst.Mounts) != 0 {
		t.Errorf("after umount: %+v, %v", inst, err)
	}
}

func TestMountFailures(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, source, instance string
		inst                   []multipasstest.FakeInstance
		want                   error
		code                   int
		message                string
	}{
		{"missing source", filepath.Join(dir, "nope"), "builder", []multipasstest.FakeInstance{builderVM},
			multipass.ErrMountSource, 1, `Source path "` + filepath.Join(dir, "nope") + `" does not exist`},
		{"source is a file", file, "builder", []multipasstest.FakeInstance{builderVM},
			multipass.ErrMountSource, 1, `Source path "` + file + `" is not a directory`},
		{"missing instance", dir, "builder", nil,
			multipass.ErrInstanceMissing, 2, `instance "builder" does not exist`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, nil, tt.inst...)
			err := f.Mount(context.Background(), tt.source, tt.instance, "/home/ubuntu/app")
			var me *multipass.Error
			if !errors.As(err, &me) || !errors.Is(err, tt.want) || me.Code != tt.code || me.Message != tt.message || me.Instance != "builder" {
				t.Errorf("got %#v\nwant %v, code %d, %q", err, tt.want, tt.code, tt.message)
			}
			if multipass.Hint(err) == "" {
				t.Error("no hint")
			}
		})
	}
}

func TestTransfer(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	f := newFake(t, nil, builderVM, withState(multipasstest.FakeInstance{Name: "idle", CPUs: 1, Memory: 1 << 30, Disk: 5 << 30}, "Stopped"))
	src, inGuest, back := filepath.Join(dir, "in.sh"), filepath.Join(dir, "guest.sh"), filepath.Join(dir, "back.sh")
	if err := os.WriteFile(src, []byte("#!/bin/sh\necho hi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := f.Transfer(ctx, src, "builder:"+inGuest); err != nil {
		t.Fatal(err)
	}
	if got := f.last(t); !reflect.DeepEqual(got, []string{"transfer", src, "builder:" + inGuest}) {
		t.Errorf("argv = %q", got)
	}
	if err := f.Transfer(ctx, "builder:"+inGuest, back); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(back); err != nil || string(b) != "#!/bin/sh\necho hi\n" {
		t.Errorf("round trip = %q, %v", b, err)
	}
	if st, err := os.Stat(inGuest); err != nil || st.Mode().Perm() != 0o755 {
		t.Errorf("the mode did not survive: %v, %v", st, err)
	}

	tests := []struct {
		name     string
		src, dst string
		want     error
	}{
		{"missing instance", src, "nope:" + inGuest, multipass.ErrInstanceMissing},
		{"stopped instance", src, "idle:" + inGuest, multipass.ErrFailed},
		{"missing file", "builder:" + filepath.Join(dir, "missing"), back, multipass.ErrFailed},
		{"no instance at all", src, back, multipass.ErrUsage},
	}
	for _, tt := range tests {
		err := f.Transfer(ctx, tt.src, tt.dst)
		var me *multipass.Error
		if !errors.As(err, &me) || !errors.Is(err, tt.want) || me.Op != "transfer" {
			t.Errorf("%s: got %#v, want %v", tt.name, err, tt.want)
		}
	}
}
