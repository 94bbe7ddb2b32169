//go:build unix

package build

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

func deviceOf(path string) (uint64, bool) {
	st, err := os.Stat(path)
	if err != nil {
		return 0, false
	}
	s, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return uint64(s.Dev), true //nolint:unconvert // int32 on darwin
}

// diskSpace is the space free for this user and the size of dir's disk.
func diskSpace(dir string) (free, total int64, ok bool) {
	var s unix.Statfs_t
	if unix.Statfs(dir, &s) != nil {
		return 0, 0, false
	}
	return int64(s.Bavail) * int64(s.Bsize), int64(s.Blocks) * int64(s.Bsize), true //nolint:unconvert
}
