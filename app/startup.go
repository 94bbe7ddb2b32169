package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/term"

	"nixpass/builder"
	"nixpass/builder/agent"
	"nixpass/builder/config"
	"nixpass/builder/core"
)

// startFailed reports an error that kept the menu-bar app from starting,
// as planStartup decides: from a terminal stderr is enough; started by the
// login agent (or, on macOS, from Finder, where stderr goes nowhere) the
// error is also shown in a dialog, and under the agent the exit status is
// 0: the agent's KeepAlive {SuccessfulExit: false} (systemd's
// Restart=on-failure) would otherwise relaunch it every 10 s for a problem
// that only the user can fix. A second copy started by the agent while one
// already runs leaves quietly with one line in its log; one opened from
// Finder shows a dialog naming the running copy's PID and exits 1.
func (c *cli) startFailed(err error) int {
	byAgent := agent.LaunchedByAgent()
	plan := planStartup(err, byAgent, isTerminal(os.Stderr), alertWithoutTerminal)
	if plan.line != "" {
		fmt.Fprintln(c.stderr, plan.line)
	} else {
		c.fail(err)
	}
	if plan.appendLog {
		// From Finder stderr goes nowhere: the line goes to agent.log.
		appendAgentLog(plan.line)
	}
	if plan.dialog {
		title, msg := startupAlert(err, byAgent)
		if aerr := alert(title, msg); aerr != nil {
			fmt.Fprintf(c.stderr, "nixpass: show the error: %v\n", aerr)
		}
	}
	if byAgent && plan.line == "" {
		fmt.Fprintln(c.stderr, "nixpass: exiting with status 0 so the login agent does not start it again; fix the problem and open nixpass")
	}
	return plan.code
}

// startPlan is what startFailed does.
type startPlan struct {
	dialog bool
	code   int
	// line, when set, replaces the usual error output: one line.
	line string
	// appendLog also appends line to agent.log (stderr goes nowhere).
	appendLog bool
}

// planStartup maps a startup error and how nixpass was started to what
// the user sees: the one table of these rules.
//
//	started by       second copy                         other error
//	login agent      exit 0, no dialog, one log line     dialog, exit 0
//	Finder (macOS)   dialog with the PID, exit 1, line   dialog, exit 1
//	a terminal       exit 1, one line                    stderr, exit 1
func planStartup(err error, byAgent, terminal, alertsWithoutTerminal bool) startPlan {
	second := errors.Is(err, core.ErrAlreadyRunning)
	finder := !byAgent && !terminal && alertsWithoutTerminal
	switch {
	case byAgent && second:
		return startPlan{code: 0, line: "nixpass: " + err.Error() + "; the login agent leaves the running app be"}
	case byAgent:
		return startPlan{dialog: true, code: 0}
	case finder && second:
		return startPlan{dialog: true, code: 1, line: "nixpass: " + err.Error() + " (opened from Finder)", appendLog: true}
	case finder:
		return startPlan{dialog: true, code: 1}
	case second:
		return startPlan{code: 1, line: "nixpass: " + err.Error()}
	}
	return startPlan{code: 1}
}

// appendAgentLog appends one line to agent.log, the log the login agent
// writes, so a copy opened from Finder leaves a trace there too.
func appendAgentLog(line string) {
	logs, err := config.LogDir()
	if err != nil {
		return
	}
	if os.MkdirAll(logs, 0o755) != nil {
		return
	}
	f, err := os.OpenFile(filepath.Join(logs, "agent.log"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "%s %s\n", time.Now().Format(time.RFC3339), line)
}

// startupAlert is the dialog for a startup error: what happened, what to
// do, and where the agent's log is.
func startupAlert(err error, byAgent bool) (title, msg string) {
	title = "nixpass could not start"
	var be *builder.Error
	switch {
	case errors.As(err, &be):
		msg = be.Message
		if be.Hint != "" {
			msg += "\n\n" + be.Hint
		}
	case errors.Is(err, core.ErrAlreadyRunning):
		title = "nixpass is already running"
		msg = err.Error() + "\n\nIts icon is in the menu bar."
	default:
		msg = err.Error() + "\n\nCheck that the nixpass folders in your home are writable."
	}
	if byAgent {
		if logs, lerr := config.LogDir(); lerr == nil {
			msg += "\n\nnixpass will not retry by itself; fix this, then open nixpass again. Log: " + filepath.Join(logs, "agent.log")
		}
	}
	return title, msg
}

// isTerminal asks the terminal driver (an ioctl, as golang.org/x/term
// does), not the file mode: /dev/null, where Finder points an app's
// stderr, is a character device too.
func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }
