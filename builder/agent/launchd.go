package agent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"

	"github.com/google/renameio/v2"

	"nixpass/builder/lazyre"
	"nixpass/builder/runner"
)

// Launchd installs, removes and reads the LaunchAgent with launchctl
// directly, not through kardianos/service: its Uninstall runs
// `launchctl unload`, which stops the job, and when the running app is
// that job, unticking "Start at login" would quit the app. Launchd never
// boots out the job this process runs in; it only deletes the plist, so
// the app runs on and is simply not started at the next login.
//
// The rules, tested with testdata/fake-launchctl:
//
//	Install:   write the plist; launchctl enable; when this process is not
//	           the job: bootstrap it (bootout first when an older plist is
//	           loaded), so it is really loaded now, as at the next login.
//	Uninstall: delete the plist; when this process is not the job and the
//	           job is loaded: bootout. When it is the job: nothing more.
//	Status:    installed = the plist exists; loaded = launchctl print
//	           succeeds; disabled = launchctl print-disabled says so;
//	           enabled (the checkbox) = installed, not disabled, and
//	           loaded (when launchctl could be asked).
type Launchd struct {
	// Plist is ~/Library/LaunchAgents/<Label>.plist.
	Plist string
	// Text is the rendered plist.
	Text []byte
	// Domain is the user's GUI domain, "gui/<uid>".
	Domain string
	// InJob is true when this process was started by the agent itself
	// (launchd sets XPC_SERVICE_NAME to the job's label).
	InJob bool
	// Bin is the launchctl command; empty means "launchctl".
	Bin string
	// Run runs it; nil means runner.Exec.
	Run runner.Runner
}

// NewLaunchd is the LaunchAgent for text in this user's GUI session.
func NewLaunchd(plist string, text []byte) *Launchd {
	return &Launchd{Plist: plist, Text: text, Domain: "gui/" + strconv.Itoa(os.Getuid()), InJob: LaunchedByAgent()}
}

// LaunchedByAgent reports whether this process was started by the login
// agent: launchd names the job in XPC_SERVICE_NAME, and the agent's own
// environment sets NIXPASS_AGENT=1 (on Linux too).
func LaunchedByAgent() bool {
	return os.Getenv("XPC_SERVICE_NAME") == Label || os.Getenv("NIXPASS_AGENT") == "1"
}

func (l *Launchd) target() string { return l.Domain + "/" + Label }

func (l *Launchd) launchctl(ctx context.Context, args ...string) (*runner.Result, error) {
	r := l.Run
	if r == nil {
		r = runner.Exec{}
	}
	bin := l.Bin
	if bin == "" {
		bin = "launchctl"
	}
	return r.Run(ctx, runner.Cmd{Name: bin, Args: args})
}

// loaded asks launchd whether the job is loaded; known is false when
// launchctl could not be asked at all.
func (l *Launchd) loaded(ctx context.Context) (loaded, known bool) {
	_, err := l.launchctl(ctx, "print", l.target())
	if err == nil {
		return true, true
	}
	var xe *runner.ExitError
	return false, errors.As(err, &xe)
}

// disabledLine matches the job's line in `launchctl print-disabled`:
// `"dev.nixpass.agent" => disabled` (macOS 13+) or `=> true` (older).
var disabledLine = lazyre.New(`(?m)^\s*"` + regexp.QuoteMeta(Label) + `"\s*=>\s*(disabled|true)\s*$`)

func (l *Launchd) disabled(ctx context.Context) bool {
	res, err := l.launchctl(ctx, "print-disabled", l.Domain)
	return err == nil && disabledLine.Match(res.Stdout)
}

// Install writes the plist and loads it (see the rules on Launchd).
// Installing the same agent twice is not an error.
func (l *Launchd) Install(ctx context.Context) error {
	cur, readErr := os.ReadFile(l.Plist)
	changed := readErr != nil || !bytes.Equal(cur, l.Text)
	if changed {
		if err := os.MkdirAll(filepath.Dir(l.Plist), 0o755); err != nil {
			return fmt.Errorf("install login agent: %w", err)
		}
		if err := renameio.WriteFile(l.Plist, l.Text, 0o644); err != nil {
			return fmt.Errorf("install login agent: %w", err)
		}
	}
	if _, err := l.launchctl(ctx, "enable", l.target()); err != nil {
		return fmt.Errorf("install login agent: %w", err)
	}
	if l.InJob {
		// This process is the job: it stays as it is; the new plist
		// counts from the next login.
		return nil
	}
	loaded, _ := l.loaded(ctx)
	if loaded && !changed {
		return nil
	}
	if loaded {
		if _, err := l.launchctl(ctx, "bootout", l.target()); err != nil {
			return fmt.Errorf("reload login agent: %w", err)
		}
	}
	if _, err := l.launchctl(ctx, "bootstrap", l.Domain, l.Plist); err != nil {
		return fmt.Errorf("load login agent %s: %w; if nixpass is switched off in System Settings › General › Login Items, switch it on there", l.Plist, err)
	}
	return nil
}

// Uninstall deletes the plist and, unless this process is the job,
// boots the job out; removing an absent agent is not an error.
func (l *Launchd) Uninstall(ctx context.Context) error {
	if err := os.Remove(l.Plist); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove login agent: %w", err)
	}
	if l.InJob {
		return nil
	}
	if loaded, _ := l.loaded(ctx); loaded {
		if _, err := l.launchctl(ctx, "bootout", l.target()); err != nil {
			return fmt.Errorf("unload login agent: %w", err)
		}
	}
	return nil
}

// Status reads the agent's state (see the rules on Launchd).
func (l *Launchd) Status(ctx context.Context) Status {
	st := Status{Path: l.Plist}
	_, err := os.Stat(l.Plist)
	st.Installed = err == nil
	loaded, known := l.loaded(ctx)
	st.Loaded = loaded
	st.Running = loaded && l.running(ctx)
	st.Disabled = known && l.disabled(ctx)
	st.Enabled = st.Installed && !st.Disabled && (loaded || !known)
	return st
}

// running: `launchctl print` shows "state = running" for a live job.
func (l *Launchd) running(ctx context.Context) bool {
	res, err := l.launchctl(ctx, "print", l.target())
	return err == nil && regexp.MustCompile(`(?m)^\s*state = running\s*$`).Match(res.Stdout)
}
