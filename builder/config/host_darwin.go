package config

import "golang.org/x/sys/unix"

// defaultBackend is multipass on macOS: Linux images need a Linux VM.
const defaultBackend = BackendMultipass

// hostMemory is the host's RAM in bytes, or 0 when it cannot be read.
func hostMemory() int64 {
	n, err := unix.SysctlUint64("hw.memsize")
	if err != nil {
		return 0
	}
	return int64(n)
}
