package agent

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"time"

	"howett.net/plist"
)

// ExitTimeout is how long the service manager lets the app quit before
// killing it (launchd's ExitTimeOut, systemd's TimeoutStopSec): longer
// than the app's own quit deadline (app/tray: 60 s to cancel a build and
// stop the machine), so a logout or a reload never kills it mid-cancel.
const ExitTimeout = 90 * time.Second

// Report says what Install or Uninstall did beyond the file.
type Report struct {
	// Deferred: the job's process is running (the app the agent started),
	// so it was left alone and the change takes effect at the next login.
	Deferred bool
	// Replaced is the executable the previous agent started, when it was
	// another binary than this one ("" otherwise).
	Replaced string
}

// InstallMessage is what `nixpass service install` prints.
func (r Report) InstallMessage(path string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "nixpass starts at login (%s)", path)
	if r.Replaced != "" {
		fmt.Fprintf(&b, "\nthis replaces the login agent that started %s", r.Replaced)
	}
	if r.Deferred {
		b.WriteString("\nthe nixpass the agent started is running: it keeps running, and the new agent takes effect at the next login")
	}
	return b.String()
}

// UninstallMessage is what `nixpass service uninstall` prints.
func (r Report) UninstallMessage() string {
	if r.Deferred {
		return "nixpass no longer starts at login; the nixpass the agent started keeps running until you quit it (takes effect at the next login)"
	}
	return "nixpass no longer starts at login"
}

// execStart is a systemd unit's first ExecStart word, quoted as
// systemdQuote writes it, or bare.
var execStart = regexp.MustCompile(`(?m)^ExecStart=("(?:[^"\\]|\\.)*"|\S+)`)

// executableOf reads the program an agent file starts: ProgramArguments[0]
// of a plist, the first word of a unit's ExecStart; "" when unreadable.
func executableOf(text []byte) string {
	var p struct {
		ProgramArguments []string `plist:"ProgramArguments"`
	}
	if bytes.Contains(text, []byte("<plist")) {
		if _, err := plist.Unmarshal(text, &p); err == nil && len(p.ProgramArguments) > 0 {
			return p.ProgramArguments[0]
		}
		return ""
	}
	m := execStart.FindSubmatch(text)
	if m == nil {
		return ""
	}
	w := string(m[1])
	if strings.HasPrefix(w, `"`) {
		w = strings.NewReplacer(`\\`, `\`, `\"`, `"`, "%%", "%", "$$", "$").Replace(w[1 : len(w)-1])
	}
	return w
}

// otherExecutable is the program the old agent file starts when it is not
// the one the new file starts.
func otherExecutable(old, new []byte) string {
	o, n := executableOf(old), executableOf(new)
	if o == "" || o == n {
		return ""
	}
	return o
}

// translocated refuses an executable macOS runs from a randomised,
// read-only copy (App Translocation: a downloaded, quarantined app opened
// where it lies); the path is gone after a restart, so a login agent
// pointing there fails at the next login.
func translocated(exe string) error {
	if !strings.Contains(exe, "/AppTranslocation/") {
		return nil
	}
	return fmt.Errorf("nixpass is running from a temporary copy macOS made of it (%s), which is gone after a restart: move nixpass.app into /Applications with Finder, open it from there, and then turn on Start at login", exe)
}
