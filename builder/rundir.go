package builder

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"nixpass/builder/shq"
)

// The build script keeps its lock and pid files in a run folder beside
// the installed script ("run" in the script's folder: <state>/bin/run on
// this host, the script's own folder in the VM). A folder another user
// made or can swap would let them steer a root build's writes and a
// cancel's signal, so the script (and scriptRunDir here) uses it only when
// it is this user's own folder, not a symlink, mode 0700.

// exitRunDirUnsafe is the script's status when its run folder is not this
// user's private folder (see nixpass-build.sh).
const exitRunDirUnsafe = 77

// scriptRunDir is the run folder of the script installed in scriptDir on
// this host (rundir in nixpass-build.sh). It fails when the folder exists
// but is not a folder of this user's, mode 0700; a missing one is no error
// (there is nothing in it to remove).
func scriptRunDir(scriptDir string) (string, error) {
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

// hostRunDirer is a Machine whose script runs on this host, with its run
// folder here; the VM's is inside the VM, and nothing of it is removed on
// the host.
type hostRunDirer interface {
	hostScriptDir() string
}

func (l *Local) hostScriptDir() string { return l.ScriptDir }

// removeStalePid removes a killed build's pid file from the run folder of
// the script in scriptDir ("": a VM build, nothing on this host), only when
// that folder is this user's private one.
func removeStalePid(scriptDir, token string) {
	if scriptDir == "" || token == "" || strings.ContainsAny(token, "/\x00") {
		return
	}
	dir, err := scriptRunDir(scriptDir)
	if err != nil {
		return
	}
	for _, suffix := range []string{".pid", ".pid.rc", ".pid.err"} {
		_ = os.Remove(filepath.Join(dir, token+suffix))
	}
}

// runDirUnsafe is the error for the script's status 77: report is what the
// script said, "OWNER MODE PATH".
func runDirUnsafe(report, where string) *Error {
	f := strings.SplitN(report, " ", 3)
	owner, mode, dir := "?", "?", report
	if len(f) == 3 {
		owner, mode, dir = f[0], f[1], f[2]
	}
	msg := fmt.Sprintf("the build script's run folder %s on %s is not a private folder of the user who builds (owner %s, mode %s): another user could steer the build through it, so nothing was built", dir, where, owner, mode)
	if strings.HasPrefix(mode, "l") {
		msg = fmt.Sprintf("the build script's run folder %s on %s is a symlink (owner %s): another user could steer the build through it, so nothing was built", dir, where, owner)
	}
	if owner == "-" {
		msg = fmt.Sprintf("the build script's run folder on %s cannot be used safely: %s", where, dir)
	}
	return &Error{Kind: KindUnavailable, Message: msg,
		Hint: "remove it (as its owner, or root) so nixpass makes a private one at the next build: " + shq.Join("rm", "-rf", "--", dir) +
			"; then check who else can write to " + filepath.Dir(dir)}
}
