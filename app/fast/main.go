// Command fast is `nixpass` on Linux: a lean front that answers `nixpass
// version` and finishes `nixpass build` of an up-to-date project itself,
// and hands everything else, unchanged, to the full nixpass (app),
// nixpass-full: beside it in build/, in ../libexec/nixpass once
// installed. A no-op rebuild is what users and scripts run most, and its
// cost next to Nix's own was mostly the start-up of a binary that links
// the tray, D-Bus, the login agent, the watcher, the registry and the VM:
// the front links none of them (core/fast). The handover is an exec: the same process, its
// arguments, environment, and standard streams.
//
// It imports app/cliout and builder/core/fast, and nothing that links
// those parts (TestFrontLinksNoHeavyPackage).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"nixpass/app/cliout"
	"nixpass/builder"
	"nixpass/builder/config"
	"nixpass/builder/core/fast"
)

// FullName is the full nixpass's file name, beside the front.
const FullName = "nixpass-full"

func main() {
	args := os.Args[1:]
	switch {
	case len(args) == 1 && args[0] == "version":
		cliout.PrintVersion(os.Stdout)
		os.Exit(0)
	case len(args) >= 1 && args[0] == "build":
		if code, done := build(args[1:]); done {
			os.Exit(code)
		}
	}
	handOver("")
}

// build runs `nixpass build [DIR] [--json]` when it is a no-op; done is
// false for any other build, and for any other spelling of the command
// (the full nixpass parses and answers those).
func build(args []string) (code int, done bool) {
	dir, asJSON, ok := buildArgs(args)
	if !ok {
		return 0, false
	}
	dir, err := config.Canonical(dir)
	if err != nil {
		return 0, false
	}
	// Events wait until the front knows it finishes the build: a build
	// handed over says its own.
	var events []builder.Event
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, stale := fast.Attempt{Config: config.Path(), Dir: dir,
		Notice: func(n string) { fmt.Fprintln(os.Stderr, "nixpass: "+n) },
		Emit:   func(e builder.Event) { events = append(events, e) },
	}.Build(ctx)
	if res == nil {
		if ctx.Err() != nil {
			fmt.Fprintln(os.Stderr, "nixpass: interrupted while Nix evaluated the project: nothing was built or recorded")
			return builder.KindCancelled.ExitCode(), true
		}
		stop()
		handOver(stale)
	}
	pr := cliout.NewProgress(os.Stderr)
	for _, e := range events {
		pr.Event(e)
	}
	pr.Done()
	if asJSON {
		cliout.PrintJSON(os.Stdout, os.Stderr, res)
	} else {
		cliout.PrintResult(os.Stdout, os.Stderr, res)
	}
	return res.Kind.ExitCode(), true
}

// buildArgs reads the spellings of build's arguments the front takes: an
// optional folder and an optional --json, in either order.
func buildArgs(args []string) (dir string, asJSON, ok bool) {
	dir = "."
	seenDir := false
	for _, a := range args {
		switch {
		case a == "--json" || a == "-json":
			if asJSON {
				return "", false, false
			}
			asJSON = true
		case a == "" || a[0] == '-' || seenDir:
			return "", false, false
		default:
			dir, seenDir = a, true
		}
	}
	return dir, asJSON, true
}

// handOver execs the full nixpass with this process's arguments; stale
// is the request key of a project Nix just found out of date, or "".
func handOver(stale string) {
	full, err := fullPath()
	if err == nil {
		env := os.Environ()
		if stale != "" {
			env = append(env, cliout.StaleEnv+"="+stale)
		}
		err = syscall.Exec(full, os.Args, env)
	}
	fmt.Fprintf(os.Stderr, "nixpass: cannot start the full nixpass: %v\n  → reinstall nixpass (make install): %s belongs beside this program\n", err, FullName)
	os.Exit(127)
}

// fullPath is the full nixpass: beside this program's file (build/, where
// make builds both), else in ../libexec/nixpass (where make install puts
// it, off PATH); symlinks are resolved first.
func fullPath() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	if real, err := filepath.EvalSymlinks(exe); err == nil {
		exe = real
	}
	dir := filepath.Dir(exe)
	full := filepath.Join(dir, FullName)
	_, err = os.Stat(full)
	if err != nil {
		installed := filepath.Join(dir, "..", "libexec", "nixpass", FullName)
		if _, ierr := os.Stat(installed); ierr == nil {
			return installed, nil
		}
	}
	return full, err
}
