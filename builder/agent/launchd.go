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
	"time"

	"github.com/google/renameio/v2"

	"nixpass/builder/runner"
)

// Launchd installs, removes and reads the LaunchAgent with launchctl
// directly, not through kardianos/service: its Uninstall runs
// `launchctl unload`, which stops the job. Launchd never stops a job
// whose process is running, whether that process is this one (unticking
// "Start at login" in the app) or another (`nixpass service` run in
// Terminal while the app the agent started is building): it writes or
// deletes the plist, and the change counts from the next login.
//
// The rules, tested with testdata/fake-launchctl:
//
//	Install:   write the plist; launchctl enable. Then, when this process
//	           is the job, or the job's process is running: nothing more
//	           (a changed plist is Deferred to the next login). When the
//	           job is loaded but not running and the plist changed:
//	           bootout, and wait until launchctl print no longer finds the
//	           job (a bootout takes time; 36 means it is still exiting).
//	           When it is not loaded (now): bootstrap, so it is loaded now
//	           as at the next login. A bootstrap that fails while print
//	           still finds the job (5: it raced a bootout) waits and
//	           retries once; Login Items is blamed only when
//	           print-disabled says the job is disabled.
//	Uninstall: delete the plist; when the job is loaded and its process
//	           is not running (nor this one): bootout and wait as above.
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
	// Poll is the pause between launchctl print calls while a bootout
	// completes; 0 means 100ms.
	Poll time.Duration
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
var disabledLine = regexp.MustCompile(`(?m)^\s*"` + regexp.QuoteMeta(Label) + `"\s*=>\s*(disabled|true)\s*$`)

func (l *Launchd) disabled(ctx context.Context) bool {
	res, err := l.launchctl(ctx, "print-disabled", l.Domain)
	return err == nil && disabledLine.Match(res.Stdout)
}

// Install writes the plist and loads it (see the rules on Launchd).
// Installing the same agent twice is not an error.
func (l *Launchd) Install(ctx context.Context) (Report, error) {
	var rep Report
	cur, readErr := os.ReadFile(l.Plist)
	changed := readErr != nil || !bytes.Equal(cur, l.Text)
	if changed {
		if readErr == nil {
			rep.Replaced = otherExecutable(cur, l.Text)
		}
		if err := os.MkdirAll(filepath.Dir(l.Plist), 0o755); err != nil {
			return rep, fmt.Errorf("install login agent: %w", err)
		}
		if err := renameio.WriteFile(l.Plist, l.Text, 0o644); err != nil {
			return rep, fmt.Errorf("install login agent: %w", err)
		}
	}
	if _, err := l.launchctl(ctx, "enable", l.target()); err != nil {
		return rep, fmt.Errorf("install login agent: %w", err)
	}
	job := jobRunning
	if !l.InJob {
		job = l.job(ctx)
	}
	switch {
	case job == jobRunning:
		// The job's process (this one or another) runs on untouched; the
		// new plist counts from the next login.
		rep.Deferred = changed && readErr == nil
		return rep, nil
	case job == jobLoaded && !changed:
		return rep, nil
	case job == jobLoaded:
		if err := l.bootout(ctx); err != nil {
			return rep, fmt.Errorf("reload login agent: %w", err)
		}
	}
	if err := l.bootstrap(ctx); err != nil {
		return rep, err
	}
	return rep, nil
}

// bootstrap loads the plist, retrying once when it raced a bootout, and
// names Login Items only when launchd reports the job disabled.
func (l *Launchd) bootstrap(ctx context.Context) error {
	_, err := l.launchctl(ctx, "bootstrap", l.Domain, l.Plist)
	if err != nil && l.job(ctx) != jobAbsent && !l.disabled(ctx) {
		if werr := l.waitGone(ctx); werr == nil {
			_, err = l.launchctl(ctx, "bootstrap", l.Domain, l.Plist)
		}
	}
	switch {
	case err == nil:
		return nil
	case l.disabled(ctx):
		return fmt.Errorf("load login agent %s: %w; nixpass is switched off in System Settings › General › Login Items: switch it on there", l.Plist, err)
	}
	return fmt.Errorf("load login agent %s: %w; the plist is written, so nixpass starts at the next login", l.Plist, err)
}

// bootout unloads the job and waits until launchctl print no longer finds
// it: launchd stops the process first, and a bootstrap before that fails
// (5). A bootout answered 36 (the job is exiting already) waits the same.
func (l *Launchd) bootout(ctx context.Context) error {
	_, err := l.launchctl(ctx, "bootout", l.target())
	var xe *runner.ExitError
	if err != nil && !(errors.As(err, &xe) && (xe.Code == 36 || xe.Code == 3)) {
		return err
	}
	return l.waitGone(ctx)
}

// waitGone polls launchctl print until the job is gone or ctx ends.
func (l *Launchd) waitGone(ctx context.Context) error {
	poll := l.Poll
	if poll <= 0 {
		poll = 100 * time.Millisecond
	}
	for {
		if l.job(ctx) == jobAbsent {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("launchd still has %s after bootout: %w", Label, ctx.Err())
		case <-time.After(poll):
		}
	}
}

// Uninstall deletes the plist and, unless the job's process is running
// (this one or another), boots the job out; removing an absent agent is
// not an error.
func (l *Launchd) Uninstall(ctx context.Context) (Report, error) {
	var rep Report
	if err := os.Remove(l.Plist); err != nil && !errors.Is(err, os.ErrNotExist) {
		return rep, fmt.Errorf("remove login agent: %w", err)
	}
	if l.InJob {
		return rep, nil
	}
	switch l.job(ctx) {
	case jobRunning:
		rep.Deferred = true
	case jobLoaded:
		if err := l.bootout(ctx); err != nil {
			return rep, fmt.Errorf("unload login agent: %w", err)
		}
	}
	return rep, nil
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

// runningLine is `launchctl print`'s line for a job whose process runs.
var runningLine = regexp.MustCompile(`(?m)^\s*state = running\s*$`)

// running: `launchctl print` shows "state = running" for a live job.
func (l *Launchd) running(ctx context.Context) bool {
	return l.job(ctx) == jobRunning
}

type jobState int

const (
	jobAbsent  jobState = iota // launchd does not have it (or cannot be asked)
	jobLoaded                  // loaded, its process not running
	jobRunning                 // loaded and its process running
)

func (l *Launchd) job(ctx context.Context) jobState {
	res, err := l.launchctl(ctx, "print", l.target())
	switch {
	case err != nil:
		return jobAbsent
	case runningLine.Match(res.Stdout):
		return jobRunning
	}
	return jobLoaded
}
