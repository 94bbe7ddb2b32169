package config

import "golang.org/x/sys/unix"

// defaultBackend is local on Linux: the host can run Nix itself.
const defaultBackend = BackendLocal

// hostMemory is the host's RAM in bytes, or 0 when it cannot be read.
func hostMemory() int64 {
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err != nil {
		return 0
	}
	return int64(si.Totalram) * int64(si.Unit)
}
