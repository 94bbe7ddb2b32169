package main

import (
	"context"
	"time"

	"nixpass/builder/runner"
)

// alertWithoutTerminal: an app opened from Finder has no visible stderr.
const alertWithoutTerminal = true

// alert shows a dialog in front of other windows; title and message
// reach AppleScript as argv, never as script text.
func alert(title, msg string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	_, err := runner.Exec{}.Run(ctx, runner.Cmd{Name: "osascript", Args: []string{
		"-e", "on run argv",
		"-e", "activate",
		"-e", `display alert (item 1 of argv) message (item 2 of argv) as critical buttons {"OK"} default button "OK"`,
		"-e", "end run", title, msg}})
	return err
}
