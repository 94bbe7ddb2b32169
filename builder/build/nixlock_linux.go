package build

import (
	"fmt"
	"os"
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

// describePID is "PID N (command line) since HH:MM:SS" from /proc.
func describePID(pid int) string {
	s := "PID " + strconv.Itoa(pid)
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil && len(b) > 0 {
		args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
		if len(args) > 0 {
			args[0] = args[0][strings.LastIndexByte(args[0], '/')+1:]
		}
		cmd := strings.Join(args, " ")
		if len(cmd) > 120 {
			cmd = cmd[:120] + "…"
		}
		s += " (" + cmd + ")"
	}
	if st, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
		// The /proc folder is made when the process starts.
		s += " since " + st.ModTime().Local().Format(time.TimeOnly)
	}
	return s
}
