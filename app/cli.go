package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"nixpass/app/cliout"
	"nixpass/builder"
)

// exitUsage is the exit status for usage and config errors.
const exitUsage = 1

// cli holds what every verb needs: the streams and the global flags.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	configPath     string
	// verb is the command being run, for messages and its usage line.
	verb string
	// json is set when the verb's arguments ask for --json: every path,
	// usage and config errors included, then prints one JSON object.
	json bool
}

type verb struct {
	run   func(c *cli, ctx context.Context, args []string) int
	usage string
}

var verbs map[string]verb

func init() {
	verbs = map[string]verb{
		"add":     {cmdAdd, "add DIR [--file F | --flake REF] [--attr A] [--output NAME] [--no-watch] [--docker-load] [--system S]... [--push REF] [--mount PATH]..."},
		"remove":  {cmdRemove, "remove DIR"},
		"list":    {cmdList, "list [--json]"},
		"build":   {cmdBuild, "build [DIR] [--json]"},
		"push":    {cmdPush, "push [DIR] [--to REF] [--json]"},
		"status":  {cmdStatus, "status [--json]"},
		"vm":      {cmdVM, "vm create|start|stop|delete|status|resize|setup|shell|builder|gc [--cpus N] [--memory SIZE] [--disk SIZE] [--json] [--yes]"},
		"logs":    {cmdLogs, "logs [DIR]"},
		"history": {cmdHistory, "history [DIR] [--json]"},
		"version": {cmdVersion, "version"},
		"app":     {cmdApp, "app [--headless] [--json]"},
		"service": {cmdService, "service install|uninstall|status"},
		"explain": {cmdExplain, "explain [FILE] [--json]"},
		"cache":   {cmdCache, "cache key NAME [--json]"},
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
	c.verb, c.json = name, wantsJSON(args)
	ctx, stop := cancelOnSignal(context.Background(), stderr, os.Exit)
	defer stop()
	return v.run(c, ctx, args)
}

func (c *cli) usage(w io.Writer) {
	fmt.Fprintln(w, "usage: nixpass [--config FILE] COMMAND [ARGS]")
	fmt.Fprintln(w, "\nWith no command, nixpass starts the menu-bar app. Commands:")
	for _, n := range []string{"add", "remove", "list", "build", "status", "vm", "logs", "history", "explain", "cache", "app", "service", "version"} {
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
	// The flag package's own messages and usage are replaced by
	// usageError, which also answers in JSON under --json.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// wantsJSON reports whether a verb's arguments (before "--") ask for JSON.
func wantsJSON(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "--json", "-json", "--json=true", "-json=true":
			return true
		}
	}
	return false
}

// parseArgs parses the arguments of the verb being run with fs and checks
// that it got between min and max positional arguments (max < 0: any).
// On a usage error it has already reported it (usageError) and returns
// ok false with the exit status; -h/--help prints the usage and exits 0.
func (c *cli) parseArgs(fs *flag.FlagSet, args []string, min, max int) (pos []string, code int, ok bool) {
	pos, err := parse(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		c.printUsage(c.stdout, fs)
		return nil, 0, false
	case err != nil:
		return nil, c.usageError(fs, err.Error()), false
	case len(pos) < min:
		return nil, c.usageError(fs, "missing argument"), false
	case max >= 0 && len(pos) > max:
		return nil, c.usageError(fs, fmt.Sprintf("unexpected argument %q", pos[max])), false
	}
	return pos, 0, true
}

// usageError reports a bad command line: the message and the verb's usage
// on stderr and, under --json, one failure object on stdout. It returns
// the exit status for usage errors.
func (c *cli) usageError(fs *flag.FlagSet, msg string) int {
	fmt.Fprintf(c.stderr, "nixpass %s: %s\n", c.verb, msg)
	c.printUsage(c.stderr, fs)
	if c.json {
		c.printJSON(failure{Status: builder.StatusFailed, Kind: builder.KindConfig,
			Message: "nixpass " + c.verb + ": " + msg, Hint: "usage: nixpass " + verbs[c.verb].usage})
	}
	return exitUsage
}

func (c *cli) printUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintln(w, "usage: nixpass "+verbs[c.verb].usage)
	if fs != nil {
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
}

// failure is the one JSON object printed under --json when a verb fails
// before it has a result of its own (config and usage errors).
type failure struct {
	Project string       `json:"project,omitempty"`
	Status  string       `json:"status"`
	Kind    builder.Kind `json:"kind"`
	Message string       `json:"message"`
	Hint    string       `json:"hint,omitempty"`
}

// printJSON writes v as indented JSON to stdout, its values exact but
// for C1 controls escaped (clean.JSON).
func (c *cli) printJSON(v any) { cliout.PrintJSON(c.stdout, c.stderr, v) }

// fail prints err (and its hint) and returns the exit status for it;
// under --json it prints it as one failure object on stdout as well.
func (c *cli) fail(err error) int {
	f := failure{Status: builder.StatusFailed, Kind: builder.KindConfig, Message: err.Error()}
	code := exitUsage
	var be *builder.Error
	if errors.As(err, &be) {
		f.Kind, f.Message, f.Hint = be.Kind, be.Message, be.Hint
		code = be.Kind.ExitCode()
	}
	fmt.Fprintln(c.stderr, "nixpass: "+f.Message)
	if f.Hint != "" {
		fmt.Fprintln(c.stderr, "  → "+f.Hint)
	}
	if c.json {
		c.printJSON(f)
	}
	return code
}
