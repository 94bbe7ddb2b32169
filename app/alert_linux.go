package main

import "nixpass/app/notify"

// alertWithoutTerminal: on Linux only the agent's own start is shown;
// elsewhere stderr is the terminal or the journal.
const alertWithoutTerminal = false

// alert shows the error as a desktop notification.
func alert(title, msg string) error { return notify.Default().Send(title, msg) }
