package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"nixpass/builder"
	"nixpass/builder/agent"
	"nixpass/builder/config"
	"nixpass/builder/core"
)

// startFailed reports an error that kept the menu-bar app from starting.
// From a terminal stderr is enough. Started by the login agent (or, on
// macOS, from Finder, where stderr goes nowhere) the error is also shown
// in a dialog or notification, and under the agent the exit status is 0:
// the agent's KeepAlive {SuccessfulExit: false} (systemd's
// Restart=on-failure) would otherwise relaunch it every 10 s for a
// problem that only the user can fix. A second copy started by the agent
// while one already runs just leaves quietly.
func (c *cli) startFailed(err error) int {
	code := c.fail(err)
	byAgent := agent.LaunchedByAgent()
	if byAgent && errors.Is(err, core.ErrAlreadyRunning) {
		fmt.Fprintln(c.stderr, "nixpass: the login agent leaves the running app be")
		return 0
	}
	if byAgent || (alertWithoutTerminal && !isTerminal(os.Stderr)) {
		title, msg := startupAlert(err, byAgent)
		if aerr := alert(title, msg); aerr != nil {
			fmt.Fprintf(c.stderr, "nixpass: show the error: %v\n", aerr)
		}
	}
	if byAgent {
		fmt.Fprintln(c.stderr, "nixpass: exiting with status 0 so the login agent does not start it again; fix the problem and open nixpass")
		return 0
	}
	return code
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
		msg = err.Error()
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

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
