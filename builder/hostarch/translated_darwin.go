package hostarch

import "golang.org/x/sys/unix"

// translated reads sysctl.proc_translated: 1 when Rosetta translates this
// process, 0 when native; the name is missing on Intel Macs.
func translated() (bool, error) {
	v, err := unix.SysctlUint32("sysctl.proc_translated")
	return v == 1, err
}
