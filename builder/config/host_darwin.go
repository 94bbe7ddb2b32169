package config

import "golang.org/x/sys/unix"

const defaultBackend = "multipass"

func hostMemory() int64 {
	n, err := unix.SysctlUint64("hw.memsize")
	if err != nil {
		return 0
	}
	return int64(n)
}
