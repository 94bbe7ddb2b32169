package local

import "golang.org/x/sys/unix"

// StoreFree is the free space on the disk holding /nix/store, in bytes;
// nixpass reports it (a full disk, `nixpass vm gc` on this backend) and
// never collects this store itself.
func StoreFree() (int64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs("/nix/store", &st); err != nil {
		return 0, err
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}
