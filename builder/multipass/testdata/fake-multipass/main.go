// Command fake-multipass stands in for the multipass CLI in tests. It
// follows shared/multipass-cli.md and Multipass's own sources: the same
// verbs and flags, JSON shapes and types, exit codes (0 ok, 1 command
// line, 2 command failed, 3 daemon unreachable, 255 exec could not run)
// and error texts ("<verb> failed: <message>").
//
// Its "VM" is this host: exec runs the command here, after escaping and
// joining the arguments exactly as the real client does, so quoting bugs
// show up; transfer copies host files (NAME:PATH is PATH); mounts are
// bookkeeping (a mount's target is only a name). The instances live in a
// JSON file, so a test can set up a world and read it back.
//
// Environment:
//
//	FAKE_MULTIPASS_STATE          the JSON state file (required)
//	FAKE_MULTIPASS_LOG            append each invocation's argv as a JSON array line when
//	                              it starts, and {"argv": [...], "exit": N} to the same
//	                              path plus ".results" when it ends
//	FAKE_MULTIPASS_DAEMON_DOWN    1 or 3: every command but version fails as if multipassd
//	                              were not running (exit 3); 2: the same message, exit 2
//	                              (the socket file is missing)
//	FAKE_MULTIPASS_SOCKET_DENIED  1: every command but version fails with
//	                              "multipass socket access denied" (exit 2)
//	FAKE_MULTIPASS_LAUNCH_FAIL    launch fails with this message (exit 2)
//	FAKE_MULTIPASS_START_FAIL     start, restart and exec's implicit start fail with
//	                              this message (exit 2)
//	FAKE_MULTIPASS_EXEC_FAIL      1: exec fails before running anything, like a failed
//	                              SSH connection (exit 255); after: exec runs the command,
//	                              then fails the same way, like a VM dying mid-command
//	FAKE_MULTIPASS_SFTP_RENAME    1: mv in exec'd commands renames as Multipass's SFTP mount
//	                              does, removing the target first; kill: and dies in between
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// Environment variables, documented above.
const (
	envState        = "FAKE_MULTIPASS_STATE"
	envLog          = "FAKE_MULTIPASS_LOG"
	envDaemonDown   = "FAKE_MULTIPASS_DAEMON_DOWN"
	envSocketDenied = "FAKE_MULTIPASS_SOCKET_DENIED"
	envLaunchFail   = "FAKE_MULTIPASS_LAUNCH_FAIL"
	envStartFail    = "FAKE_MULTIPASS_START_FAIL"
	envExecFail     = "FAKE_MULTIPASS_EXEC_FAIL"
	envSFTPRename   = "FAKE_MULTIPASS_SFTP_RENAME"
)

// socketPath is what the error messages name; nothing is opened.
const socketPath = "/var/run/multipass_socket"

// Exit codes of the real CLI (include/multipass/cli/return_codes.h); 0
// is success.
const (
	exitCommandLine = 1
	exitFailed      = 2
	exitDaemon      = 3
	exitExecFailed  = 255
)

func main() {
	args := os.Args[1:]
	logCall(args)
	if len(args) == 0 {
		usage("Usage: multipass [options] <command>")
	}
	verb, rest := args[0], args[1:]
	commands := map[string]func([]string){
		"version":    version,
		"info":       info,
		"list":       list,
		"ls":         list,
		"launch":     launch,
		"start":      func(a []string) { lifecycle("start", a) },
		"stop":       func(a []string) { lifecycle("stop", a) },
		"suspend":    func(a []string) { lifecycle("suspend", a) },
		"restart":    func(a []string) { lifecycle("restart", a) },
		"delete":     func(a []string) { lifecycle("delete", a) },
		"recover":    func(a []string) { lifecycle("recover", a) },
		"purge":      purge,
		"mount":      mount,
		"umount":     umount,
		"unmount":    umount,
		"get":        getSetting,
		"set":        setSetting,
		"transfer":   transfer,
		"copy-files": transfer,
		"exec":       execute,
	}
	run, ok := commands[verb]
	if !ok {
		usage(fmt.Sprintf("Unknown command: '%s'", verb))
	}
	if verb != "version" {
		daemonReachable(verb)
	}
	run(rest)
	exit(0)
}

// logCall appends argv to FAKE_MULTIPASS_LOG. One write per line keeps
// lines whole when several invocations run at once (O_APPEND).
func logCall(args []string) {
	p := os.Getenv(envLog)
	if p == "" {
		return
	}
	f, err := os.OpenFile(p, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	// Keep <, > and & readable in the log.
	var line bytes.Buffer
	enc := json.NewEncoder(&line)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(args)
	_, _ = f.Write(line.Bytes())
}

// exit ends the invocation with code, first appending its argv and code
// to the results log, so a test can tell a failed call from a good one.
// Every exit of the fake goes through it.
func exit(code int) {
	if p := os.Getenv(envLog); p != "" {
		if f, err := os.OpenFile(p+".results", os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
			var line bytes.Buffer
			enc := json.NewEncoder(&line)
			enc.SetEscapeHTML(false)
			_ = enc.Encode(struct {
				Argv []string `json:"argv"`
				Exit int      `json:"exit"`
			}{os.Args[1:], code})
			_, _ = f.Write(line.Bytes())
			f.Close()
		}
	}
	os.Exit(code)
}

// daemonReachable fails the command as the real client does when it
// cannot talk to multipassd (client/common/client_common.cpp).
func daemonReachable(verb string) {
	switch os.Getenv(envDaemonDown) {
	case "":
	case "2":
		fail(exitFailed, verb, "cannot connect to the multipass socket",
			fmt.Sprintf("Please ensure multipassd is running and '%s' is accessible", socketPath))
	default:
		fail(exitDaemon, verb, "cannot connect to the multipass socket",
			fmt.Sprintf("Please ensure multipassd is running and '%s' is accessible", socketPath))
	}
	if os.Getenv(envSocketDenied) != "" {
		fail(exitFailed, verb, "multipass socket access denied",
			fmt.Sprintf("Please check that you have read/write permissions to '%s'", socketPath))
	}
}

// fail prints a daemon error the way standard_failure_handler_for does,
// "<verb> failed: <message>" then detail lines, and exits.
func fail(code int, verb, msg string, details ...string) {
	fmt.Fprintf(os.Stderr, "%s failed: %s\n", verb, msg)
	for _, d := range details {
		fmt.Fprintln(os.Stderr, d)
	}
	exit(code)
}

// usage prints a command-line error, which has no prefix, and exits 1.
func usage(msg string) {
	fmt.Fprintln(os.Stderr, msg)
	exit(exitCommandLine)
}

func version(args []string) {
	if os.Getenv(envDaemonDown) != "" || os.Getenv(envSocketDenied) != "" {
		// The client still knows its own version.
		fmt.Println(`{"multipass": "1.16.1"}`)
		return
	}
	fmt.Println(`{"multipass": "1.16.1", "multipassd": "1.16.1"}`)
}

// parsed is a command line split into options and positional arguments.
type parsed struct {
	opts map[string][]string
	pos  []string
}

// parseArgs splits args like Qt's parser: "--name x", "--name=x", "-n x";
// flags (options without value) are listed in flags, options with a
// value in valued, each under all its spellings with the canonical one
// first. Everything after "--" is positional.
func parseArgs(args []string, valued, flags [][]string) parsed {
	canon := map[string]string{}
	takes := map[string]bool{}
	for _, names := range valued {
		for _, n := range names {
			canon[n], takes[n] = names[0], true
		}
	}
	for _, names := range flags {
		for _, n := range names {
			canon[n] = names[0]
		}
	}
	p := parsed{opts: map[string][]string{}}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			p.pos = append(p.pos, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			p.pos = append(p.pos, a)
			continue
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		c, known := canon[name]
		if !known {
			usage(fmt.Sprintf("Unknown option '%s'.", name))
		}
		switch {
		case takes[name] && hasVal:
		case takes[name] && i+1 < len(args):
			i++
			val = args[i]
		case takes[name]:
			usage(fmt.Sprintf("Missing value after '%s'.", a))
		}
		p.opts[c] = append(p.opts[c], val)
	}
	return p
}

func (p parsed) has(name string) bool { _, ok := p.opts[name]; return ok }

func (p parsed) value(name string) string {
	v := p.opts[name]
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}
