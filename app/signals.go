package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// signalGrace is how long a command has to end after the first SIGINT or
// SIGTERM cancelled it.
const signalGrace = 2 * time.Second

// cancelOnSignal returns a context the first SIGINT or SIGTERM cancels.
// A command that has not ended signalGrace later, or a second signal,
// makes the process exit at once with 128 + the signal's number (130 for
// SIGINT, 143 for SIGTERM), saying so on stderr: a command stuck where it
// does not watch its context (a huge config, a read of a terminal) still
// ends. A build's own processes end through their lifeline. stop ends the
// watch; call it when the command returns.
func cancelOnSignal(parent context.Context, stderr io.Writer, exit func(int)) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancel(parent)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		var first os.Signal
		select {
		case first = <-sigs:
		case <-done:
			return
		}
		cancel()
		timer := time.NewTimer(signalGrace)
		defer timer.Stop()
		select {
		case sig := <-sigs:
			fmt.Fprintf(stderr, "nixpass: %s again: exiting now\n", signalName(sig))
			exit(exitStatus(sig))
		case <-timer.C:
			fmt.Fprintf(stderr, "nixpass: still running %s after %s: exiting now\n", signalGrace, signalName(first))
			exit(exitStatus(first))
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel()
	}
}

// exitStatus is the shell's status for a process ended by sig.
func exitStatus(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 128 + int(syscall.SIGTERM)
}

func signalName(sig os.Signal) string {
	if sig == syscall.SIGTERM {
		return "SIGTERM"
	}
	return "SIGINT"
}
