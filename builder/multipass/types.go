package multipass

// State is an instance state, spelled exactly as Multipass prints it.
type State string

// The instance states of the CLI contract.
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

// Version is what `multipass version --format json` reports.
type Version struct {
	// Client is the version of the multipass CLI.
	Client string `json:"multipass"`
	// Daemon is the version of multipassd; empty when the daemon is not
	// reachable.
	Daemon string `json:"multipassd"`
}

// ListItem is one entry of `multipass list --format json`.
type ListItem struct {
	Name  string   `json:"name"`
	State State    `json:"state"`
	IPv4  []string `json:"ipv4"`
	// Release is "Not Available" when Multipass does not know it.
	Release string `json:"release"`
}

// Mount is one folder of the host mounted in an instance.
type Mount struct {
	// SourcePath is the absolute folder on the host.
	SourcePath  string   `json:"source_path"`
	UIDMappings []string `json:"uid_mappings"`
	GIDMappings []string `json:"gid_mappings"`
}

// Disk is the size and usage of one disk, in bytes.
type Disk struct {
	Total, Used int64
}

// Memory is the size and usage of an instance's memory, in bytes, as the
// guest kernel sees it (a little under the configured size).
type Memory struct {
	Total, Used int64
}

// Instance is what `multipass info NAME --format json` reports. Fields the
// instance does not report (a stopped one has no memory usage, no address,
// often no release) are zero.
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
	// Load is the 1, 5 and 15 minute load average; empty when stopped.
	Load []float64
}

// DiskTotal is the summed size of all the instance's disks, in bytes.
func (i *Instance) DiskTotal() int64 {
	var n int64
	for _, d := range i.Disks {
		n += d.Total
	}
	return n
}

// DiskUsed is the summed usage of all the instance's disks, in bytes.
func (i *Instance) DiskUsed() int64 {
	var n int64
	for _, d := range i.Disks {
		n += d.Used
	}
	return n
}
