//go:build !linux

package local

import "runtime"

// hostMemory is unknown off Linux: the local backend is for Linux hosts.
func hostMemory() int64 { return 0 }

func hostCPUs() int { return runtime.NumCPU() }
