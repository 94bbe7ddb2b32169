package script

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// The build script keeps its lock and pid files in a run folder beside
// the installed script ("run" in the script's folder: <state>/bin/run on
// this host, the script's own folder in the VM). A folder another user
// made or can swap would let them steer a root build's writes and a
// cancel's signal, so the script (and RunDir here) uses it only when it is
// this user's own folder, not a symlink, mode 0700.

// RunDir is the run folder of the script installed in scriptDir on this
// host (rundir in nixpass-build.sh). It fails when the folder exists but
// is not a folder of this user's, mode 0700; a missing one is no error
// (there is nothing in it to remove).
func RunDir(scriptDir string) (string, error) {
	dir := filepath.Join(scriptDir, "run")
	st, err := os.Lstat(dir)
	switch {
	case os.IsNotExist(err):
		return dir, nil
	case err != nil:
		return "", err
	}
	owner := -1
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		owner = int(sys.Uid)
	}
	if !st.IsDir() || st.Mode()&os.ModeSymlink != 0 || owner != os.Geteuid() || st.Mode().Perm() != 0o700 {
		return "", fmt.Errorf("the run folder %s is not a private folder of this user (%s, owner %s)", dir, st.Mode(), userName(owner))
	}
	return dir, nil
}

// userName is the name of uid, or the number when it has none.
func userName(uid int) string {
	if uid < 0 {
		return "unknown"
	}
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		return u.Username
	}
	return strconv.Itoa(uid)
}

// RemoveStalePid removes a killed build's pid files from the run folder of
// the script in scriptDir ("": a VM build, nothing on this host), only when
// that folder is this user's private one.
func RemoveStalePid(scriptDir, token string) {
	if scriptDir == "" || token == "" || strings.ContainsAny(token, "/\x00") {
		return
	}
	dir, err := RunDir(scriptDir)
	if err != nil {
		return
	}
	for _, suffix := range []string{".pid", ".pid.rc", ".pid.err"} {
		_ = os.Remove(filepath.Join(dir, token+suffix))
	}
}
