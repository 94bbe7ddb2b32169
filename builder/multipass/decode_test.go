package multipass

import (
	"os"
	"reflect"
	"testing"
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeInfo(t *testing.T) {
	tests := []struct {
		file string
		want Instance
	}{
		{"info-running.json", Instance{
			Name: "builder", State: StateRunning, CPUs: 4,
			Memory:       Memory{Total: 8326619136, Used: 713596928},
			Disks:        map[string]Disk{"sda1": {Total: 42140499968, Used: 3221225472}},
			IPv4:         []string{"192.168.64.5"},
			Release:      "Ubuntu 24.04.1 LTS",
			ImageRelease: "24.04 LTS",
			Mounts: map[string]Mount{"/Users/ana/src/app": {
				SourcePath: "/Users/ana/src/app", UIDMappings: []string{"501:default"}, GIDMappings: []string{"20:default"}}},
			Load: []float64{0.12, 0.08, 0.03},
		}},
		{"info-stopped.json", Instance{
			Name: "builder", State: StateStopped, CPUs: 4,
			Disks:        map[string]Disk{"sda1": {Total: 42140499968}},
			IPv4:         []string{},
			ImageRelease: "24.04 LTS",
			Mounts:       map[string]Mount{},
			Load:         []float64{},
		}},
		// Numbers where strings are expected and back, nulls, junk,
		// missing and unknown fields: decoded, never an error.
		{"info-tolerant.json", Instance{
			Name: "builder", State: StateDelayedShutdown, CPUs: 2,
			Memory: Memory{Total: 2147483648},
			Disks:  map[string]Disk{"sda1": {Total: 10737418240}, "sdb": {}},
			Mounts: map[string]Mount{},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := decodeInfo(readTestdata(t, tt.file), "builder")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", *got, tt.want)
			}
		})
	}
}

func TestDecodeInfoSums(t *testing.T) {
	inst, err := decodeInfo(readTestdata(t, "info-tolerant.json"), "builder")
	if err != nil {
		t.Fatal(err)
	}
	inst.Disks["sdc"] = Disk{Total: 5, Used: 3}
	if got, want := inst.DiskTotal(), int64(10737418240+5); got != want {
		t.Errorf("DiskTotal = %d, want %d", got, want)
	}
	if got, want := inst.DiskUsed(), int64(3); got != want {
		t.Errorf("DiskUsed = %d, want %d", got, want)
	}
}

func TestDecodeInfoErrors(t *testing.T) {
	if _, err := decodeInfo([]byte(`{"info": {"other": {}}}`), "builder"); err == nil {
		t.Error("output about another instance decoded without error")
	}
	if _, err := decodeInfo([]byte(`Name: builder`), "builder"); err == nil {
		t.Error("text output decoded without error")
	}
}

func TestDecodeList(t *testing.T) {
	got, err := decodeList(readTestdata(t, "list.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := []ListItem{
		{Name: "builder", State: StateRunning, IPv4: []string{"192.168.64.5"}, Release: "Ubuntu 24.04 LTS"},
		{Name: "old", State: StateDeleted, IPv4: []string{}, Release: "Not Available"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestDecodeVersion(t *testing.T) {
	tests := map[string]Version{
		"version.json":           {Client: "1.16.1+mac", Daemon: "1.16.1+mac"},
		"version-no-daemon.json": {Client: "1.16.1+mac"},
	}
	for file, want := range tests {
		got, err := decodeVersion(readTestdata(t, file))
		if err != nil || got != want {
			t.Errorf("%s: got %+v, %v; want %+v", file, got, err, want)
		}
	}
}
