package multipass

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// State is an instance state, exactly as Multipass spells it.
type State string

// Instance states.
const (
	StateRunning         State = "Running"
	StateStopped         State = "Stopped"
	StateDeleted         State = "Deleted"
	StateStarting        State = "Starting"
	StateRestarting      State = "Restarting"
	StateDelayedShutdown State = "Delayed Shutdown"
	StateSuspending      State = "Suspending"
	StateSuspended       State = "Suspended"
	StateUnavailable     State = "Unavailable"
	StateUnknown         State = "Unknown"
)

// Version is `multipass version --format json`.
type Version struct {
	Client string `json:"multipass"`
	// Daemon is empty when multipassd is not reachable.
	Daemon string `json:"multipassd"`
}

// ListItem is one entry of `multipass list`.
type ListItem struct {
	Name    string   `json:"name"`
	State   State    `json:"state"`
	IPv4    []string `json:"ipv4"`
	Release string   `json:"release"`
}

// Mount is one mount of an instance.
type Mount struct {
	SourcePath  string   `json:"source_path"`
	UIDMappings []string `json:"uid_mappings"`
	GIDMappings []string `json:"gid_mappings"`
}

// Disk is one disk's usage in bytes.
type Disk struct {
	Total, Used int64
}

// Memory is memory usage in bytes.
type Memory struct {
	Total int64 `json:"total"`
	Used  int64 `json:"used"`
}

// Instance is `multipass info NAME`.
type Instance struct {
	Name         string
	State        State
	CPUs         int
	Memory       Memory
	Disks        map[string]Disk
	IPv4         []string
	Release      string
	ImageRelease string
	// Mounts is keyed by the target path inside the instance.
	Mounts map[string]Mount
	Load   []float64
}

// DiskTotal is the size of all disks.
func (i *Instance) DiskTotal() int64 {
	var n int64
	for _, d := range i.Disks {
		n += d.Total
	}
	return n
}

// DiskUsed is the space used on all disks.
func (i *Instance) DiskUsed() int64 {
	var n int64
	for _, d := range i.Disks {
		n += d.Used
	}
	return n
}

// rawInfo mirrors the JSON, whose types are mixed: counts and disk sizes
// are strings, memory is numbers.
type rawInfo struct {
	Errors []json.RawMessage `json:"errors"`
	Info   map[string]struct {
		CPUCount     string `json:"cpu_count"`
		Disks        map[string]struct{ Total, Used string }
		ImageRelease string   `json:"image_release"`
		IPv4         []string `json:"ipv4"`
		Load         []float64
		Memory       Memory
		Mounts       map[string]Mount
		Release      string
		State        State
	} `json:"info"`
}

func decodeInfo(b []byte, name string) (*Instance, error) {
	var raw rawInfo
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("multipass info %q: decode: %w", name, err)
	}
	ri, ok := raw.Info[name]
	if !ok {
		return nil, &Error{Op: "info", Instance: name, Err: ErrInstanceMissing, Message: fmt.Sprintf("instance %q does not exist", name)}
	}
	inst := &Instance{Name: name, State: ri.State, Memory: ri.Memory, IPv4: ri.IPv4, Release: ri.Release,
		ImageRelease: ri.ImageRelease, Mounts: ri.Mounts, Load: ri.Load, Disks: map[string]Disk{}}
	inst.CPUs, _ = strconv.Atoi(ri.CPUCount)
	for k, d := range ri.Disks {
		t, _ := strconv.ParseInt(d.Total, 10, 64)
		u, _ := strconv.ParseInt(d.Used, 10, 64)
		inst.Disks[k] = Disk{Total: t, Used: u}
	}
	return inst, nil
}
