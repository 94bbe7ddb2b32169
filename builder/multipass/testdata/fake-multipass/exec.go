package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// execute follows exec.cpp: `exec NAME [-d DIR | -n] [--] CMD ARG...`.
//
//   - Without -d or -n the client asks for the instance's mounts and, when
//     its own working directory lies in a mounted source, first changes to
//     the mapped folder (a failing lookup prints its error and goes on).
//   - A stopped instance is started (`multipass start NAME`) and the exec
//     retried; a failing start ends the exec with start's error.
//   - The arguments are escaped one by one (utils::escape_for_shell) and
//     joined with spaces into one command line, which the instance's shell
//     runs; "-d DIR" prepends `cd DIR&&`, except for a sudo command, whose
//     arguments Multipass joins unescaped: the fake keeps that hazard.
//   - The exit status is the command's; one killed by a signal is
//     reported as 128+N, as the remote shell would.
//   - Like SSH, the command does not die with the client: it runs in its
//     own process group, and only loses its output pipes.
//   - The fake's "home", where a command without -d runs, is its own
//     working directory.
func execute(args []string) {
	p := parseArgs(args, [][]string{{"working-directory", "d"}}, [][]string{{"no-map-working-directory", "n"}})
	if p.has("working-directory") && p.has("no-map-working-directory") {
		usage("Options --working-directory and --no-map-working-directory clash")
	}
	if len(p.pos) < 2 {
		usage("Wrong number of arguments")
	}
	name, argv := p.pos[0], p.pos[1:]
	dir := p.value("working-directory")

	w := openWorld()
	if !p.has("working-directory") && !p.has("no-map-working-directory") {
		if in, ok := w.Instances[name]; ok {
			dir = mappedDir(in)
		} else {
			fmt.Fprintf(os.Stderr, "exec failed: instance %q does not exist\n", name)
		}
	}
	in := w.operative("exec", name)
	if !in.running() {
		if msg := os.Getenv(envStartFail); msg != "" {
			fail(exitFailed, "start", msg)
		}
		in.State = "Running"
		w.save()
	}
	w.close()

	mode := os.Getenv(envExecFail)
	if mode == "1" {
		fail(exitExecFailed, "exec", "ssh connection failed: 'Socket error: Connection reset by peer'")
	}
	status := runRemote(commandLine(dir, argv))
	if mode == "after" {
		fail(exitExecFailed, "exec", "ssh connection failed: 'Socket error: Connection reset by peer'")
	}
	exit(status)
}

// commandLine builds what the client sends over SSH (exec.cpp, ssh_client.cpp).
func commandLine(dir string, argv []string) string {
	switch {
	case dir == "":
		return toCmd(argv)
	case argv[0] == "sudo":
		// Really `sudo sh -c "cd DIR && sudo -u ubuntu ARGV..."`, ARGV
		// joined by spaces without escaping; the fake has no users to
		// switch between, so both sudos go and the join stays.
		return toCmd([]string{"sh", "-c", "cd " + dir + " && " + strings.Join(argv[1:], " ")})
	}
	return toCmd([]string{"cd", dir}) + "&&" + toCmd(argv)
}

// mappedDir is where the client changes to when its working directory
// lies in a mounted source: the mount's target plus the rest of the path.
func mappedDir(in *instance) string {
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	if real, err := filepath.EvalSymlinks(wd); err == nil {
		wd = real
	}
	best, dir := "", ""
	for target, src := range in.Mounts {
		rel, err := filepath.Rel(src, wd)
		if err != nil || rel == ".." || strings.HasPrefix(rel, "../") || len(src) <= len(best) {
			continue
		}
		if rel == "." {
			rel = ""
		}
		best, dir = src, target+"/"+rel
	}
	return dir
}

// toCmd is utils::to_cmd with QuoteType::quote_every_arg.
func toCmd(argv []string) string {
	quoted := make([]string, len(argv))
	for i, a := range argv {
		quoted[i] = escapeForShell(a)
	}
	return strings.Join(quoted, " ")
}

// escapeForShell is utils::escape_for_shell byte for byte: a backslash
// before every byte that is special to a shell (and before every byte of
// a multi-byte character, which the C++ sees as a negative char), a
// newline wrapped in double quotes, and two single quotes for the empty
// string.
func escapeForShell(s string) string {
	if s == "" {
		return "''"
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\n' {
			b.WriteString("\"\n\"")
			continue
		}
		if c < 0x25 || c > 0x7a || (c > 0x25 && c < 0x2b) || (c > 0x5a && c < 0x5f) ||
			c == 0x2c || c == 0x3b || c == 0x3c || c == 0x3e || c == 0x3f || c == 0x60 {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	return b.String()
}

// runRemote runs line with sh on this host, as the instance's shell would,
// and returns its exit status.
func runRemote(line string) int {
	c := exec.Command("sh", "-c", line)
	if mode := os.Getenv(envSFTPRename); mode != "" {
		shim := sftpRenameShim(mode)
		defer os.RemoveAll(shim)
		c.Env = append(os.Environ(), "PATH="+shim+string(os.PathListSeparator)+os.Getenv("PATH"))
	}
	// Its own process group: a signal to the client's group (the caller
	// cancelling) must not reach it, as it would not reach a remote one.
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// Pipes through this process rather than its descriptors, so the
	// command loses its output when the client dies, as over SSH, and
	// cannot keep the caller's pipes open.
	c.Stdout, c.Stderr = writerOnly{os.Stdout}, writerOnly{os.Stderr}
	stdin, feed, err := os.Pipe()
	if err != nil {
		fail(exitExecFailed, "exec", err.Error())
	}
	c.Stdin = stdin
	if err := c.Start(); err != nil {
		fail(exitExecFailed, "exec", err.Error())
	}
	stdin.Close()
	// Not waited for: the session ends with the command, not with stdin.
	go func() {
		_, _ = io.Copy(feed, os.Stdin)
		feed.Close()
	}()
	err = c.Wait()
	var xe *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &xe):
		if st, ok := xe.Sys().(syscall.WaitStatus); ok && st.Signaled() {
			return 128 + int(st.Signal())
		}
		return xe.ExitCode()
	}
	fail(exitExecFailed, "exec", err.Error())
	return exitExecFailed
}

// writerOnly hides the *os.File, so os/exec copies through a pipe.
type writerOnly struct{ io.Writer }

// sftpRenameShim writes an `mv` that renames the way Multipass's SFTP
// server does for a mounted folder (sftp_server.cpp, handle_rename: when
// the target exists, QFile::remove(target), then QFile::rename): not
// atomically. With mode "kill" it dies between the two, as a VM or mount
// that goes away then does, leaving neither the old nor the new file; a
// rename to a new name has no "between" and goes through. It returns the
// folder to put first on PATH. The fake applies it to every mv the
// command runs, mounted or not.
func sftpRenameShim(mode string) string {
	dir, err := os.MkdirTemp("", "fake-multipass-sftp-")
	if err != nil {
		fail(exitExecFailed, "exec", err.Error())
	}
	realMv, err := exec.LookPath("mv")
	if err != nil {
		fail(exitExecFailed, "exec", err.Error())
	}
	kill := ""
	if mode == "kill" {
		kill = "kill -KILL $$\n"
	}
	shim := "#!/bin/sh\n" +
		"# fake-multipass: SFTP handle_rename, remove then rename\n" +
		"for a in \"$@\"; do case $a in -*) ;; *) dst=$a ;; esac; done\n" +
		"if [ -f \"$dst\" ]; then rm -f -- \"$dst\"\n" + kill + "fi\n" +
		"exec " + escapeForShell(realMv) + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(dir, "mv"), []byte(shim), 0o755); err != nil {
		fail(exitExecFailed, "exec", err.Error())
	}
	return dir
}
