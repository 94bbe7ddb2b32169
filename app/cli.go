package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"nixpass/builder"
)

// exitUsage is the exit status for usage and config errors.
const exitUsage = 1

// cli holds what every verb needs: the streams and the global flags.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	configPath     string
}

type verb struct {
	run   func(c *cli, ctx context.Context, args []string) int
	usage string
}

var verbs map[string]verb

func init() {
	verbs = map[string]verb{
		"add":     {cmdAdd, "add DIR [--file F | --flake REF] [--attr A] [--output NAME] [--no-watch] [--docker-load] [--system S] [--mount PATH]..."},
		"remove":  {cmdRemove, "remove DIR"},
		"list":    {cmdList, "list [--json]"},
		"build":   {cmdBuild, "build [DIR] [--json]"},
		"status":  {cmdStatus, "status [--json]"},
		"vm":      {cmdVM, "vm create|start|stop|delete|status|resize|setup|shell [--cpus N] [--memory SIZE] [--disk SIZE] [--json] [--yes]"},
		"logs":    {cmdLogs, "logs [DIR]"},
		"version": {cmdVersion, "version"},
		"app":     {cmdApp, "app [--headless] [--json]"},
		"service": {cmdService, "service install|uninstall|status"},
		"explain": {cmdExplain, "explain [FILE] [--json]"},
	}
}

// run parses the command line and runs a verb; it returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr}
	// Global flags come before the verb.
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch {
		case args[0] == "--config" && len(args) > 1:
			c.configPath, args = args[1], args[2:]
		case strings.HasPrefix(args[0], "--config="):
			c.configPath, args = strings.TrimPrefix(args[0], "--config="), args[1:]
		case args[0] == "-h" || args[0] == "--help":
			c.usage(stdout)
			return 0
		case args[0] == "--version":
			args = []string{"version"}
		default:
			fmt.Fprintf(stderr, "nixpass: unknown option %s\n", args[0])
			c.usage(stderr)
			return exitUsage
		}
	}
	name := "app"
	if len(args) > 0 {
		name, args = args[0], args[1:]
	}
	if name == "help" {
		c.usage(stdout)
		return 0
	}
	v, ok := verbs[name]
	if !ok {
		fmt.Fprintf(stderr, "nixpass: unknown command %q\n", name)
		c.usage(stderr)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return v.run(c, ctx, args)
}

func (c *cli) usage(w io.Writer) {
	fmt.Fprintln(w, "usage: nixpass [--config FILE] COMMAND [ARGS]")
	fmt.Fprintln(w, "\nWith no command, nixpass starts the menu-bar app. Commands:")
	for _, n := range []string{"add", "remove", "list", "build", "status", "vm", "logs", "explain", "app", "service", "version"} {
		fmt.Fprintln(w, "  nixpass "+verbs[n].usage)
	}
}

// parse parses flags that may come before or after positional
// arguments, as users type them ("nixpass add DIR --flake .#img").
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if rest[0] == "--" {
			return append(pos, rest[1:]...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func (c *cli) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("nixpass "+name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() { fmt.Fprintln(c.stderr, "usage: nixpass "+verbs[name].usage); fs.PrintDefaults() }
	return fs
}

// printJSON writes v as indented JSON to stdout.
func (c *cli) printJSON(v any) {
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// fail prints err (and its hint) and returns the exit status for it.
func (c *cli) fail(err error) int {
	var be *builder.Error
	if errors.As(err, &be) {
		fmt.Fprintln(c.stderr, "nixpass: "+be.Message)
		if be.Hint != "" {
			fmt.Fprintln(c.stderr, "  → "+be.Hint)
		}
		return be.Kind.ExitCode()
	}
	fmt.Fprintln(c.stderr, "nixpass: "+err.Error())
	return exitUsage
}
