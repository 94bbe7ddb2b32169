package build

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// lockHolder finds the process holding the flock(2) lock on file (Nix
// locks a store path P with P.lock) in /proc/locks, and says what it is:
// "PID 4242 (nix-build default.nix) since 17:40:02". "" when unknown.
func lockHolder(file string) string {
	var st syscall.Stat_t
	if err := syscall.Stat(file, &st); err != nil {
		return ""
	}
	dev := fmt.Sprintf("%02x:%02x:%d", unix.Major(st.Dev), unix.Minor(st.Dev), st.Ino)
	b, err := os.ReadFile("/proc/locks")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		// "1: FLOCK ADVISORY WRITE 4242 fd:01:1234 0 EOF"; a waiter's
		// line has "->" after the number.
		if len(f) < 6 || f[1] == "->" || f[5] != dev {
			continue
		}
		pid, err := strconv.Atoi(f[4])
		if err != nil || pid <= 0 {
			continue
		}
		return describePID(pid)
	}
	return ""
}

// describePID says what process pid is, as holderText does, from /proc;
// a nix-daemon worker, whose argv[1] Nix overwrites with its client's
// PID, is named after that client.
func describePID(pid int) string {
	args := cmdline(pid)
	via := 0
	if len(args) > 1 && filepath.Base(args[0]) == "nix-daemon" {
		if c, err := strconv.Atoi(args[1]); err == nil && c > 0 {
			if ca := cmdline(c); ca != nil {
				via, pid, args = pid, c, ca
			}
		}
	}
	return holderText(pid, args, procStart(pid), via)
}

// userHZ is the kernel's clock tick as /proc counts it (USER_HZ, 100 on
// every architecture Linux exports to user space).
const userHZ = 100

// procStart is when process pid started: its start time in ticks since
// boot (/proc/PID/stat, field 22) after the boot time (/proc/stat's
// btime). (/proc/PID's own time is when it was first looked at.) Zero
// when unreadable.
func procStart(pid int) time.Time {
	st, err1 := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	sys, err2 := os.ReadFile("/proc/stat")
	if err1 != nil || err2 != nil {
		return time.Time{}
	}
	// The command name, in parentheses, may hold spaces: fields count
	// from after its closing one (field 3 is the state).
	rest := string(st[bytes.LastIndexByte(st, ')')+1:])
	f := strings.Fields(rest)
	if len(f) < 20 {
		return time.Time{}
	}
	ticks, err := strconv.ParseInt(f[19], 10, 64)
	if err != nil {
		return time.Time{}
	}
	for _, l := range strings.Split(string(sys), "\n") {
		if v, ok := strings.CutPrefix(l, "btime "); ok {
			if bt, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
				return time.Unix(bt+ticks/userHZ, 0)
			}
		}
	}
	return time.Time{}
}

// cmdline is process pid's arguments, nil when unreadable.
func cmdline(pid int) []string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || len(b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
}
