package local

import (
	"runtime"
	"syscall"
)

// hostMemory is the host's RAM in bytes, 0 if unknown.
func hostMemory() int64 {
	var si syscall.Sysinfo_t
	if syscall.Sysinfo(&si) != nil {
		return 0
	}
	return int64(si.Totalram) * int64(si.Unit)
}

func hostCPUs() int { return runtime.NumCPU() }
