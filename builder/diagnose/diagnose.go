// Package diagnose says why a Nix build failed and what to do about it. It
// holds the one table of failure rules (Rules) that `nixpass build`, the
// app's notifications and `nixpass explain` all use: each rule matches
// Nix's log together with the machine's evidence (the signal that ended
// nix, what the kernel said about memory) and writes a message and a hint
// for the operating system the user reads them on. It has no UI and runs
// no commands.
//
// It may import builder (the root) and shq; machine and build import it.
package diagnose

import (
	"strings"

	"nixpass/builder"
)

// Kinds lists every kind Diagnose can return.
var Kinds = []builder.Kind{builder.KindOK, builder.KindConfig, builder.KindEval, builder.KindBuild, builder.KindOOM, builder.KindDiskFull, builder.KindUnavailable, builder.KindNetwork, builder.KindPlatform, builder.KindPush}

// OOM is what the builder machine's kernel said about memory during the
// build, as the build script read it.
type OOM struct {
	// Readable is true when some source (Source) could be read at all.
	Readable bool
	// Killed is true when that source shows an OOM kill during the build.
	Killed bool
	// Source names what was read, e.g. "/proc/vmstat oom_kill",
	// "memory.events" or "kernel log".
	Source string
	// Line is the kernel's line about the kill, when there is one.
	Line string
	// Limit is the memory, in bytes, the build could use: the limit of the
	// memory cgroup it was killed in when that is lower than RAM,
	// otherwise RAM; 0 when unknown.
	Limit int64
	// LimitCgroup is the cgroup folder whose limit Limit is, or "" when
	// Limit is the machine's RAM.
	LimitCgroup string
}

// Machine describes the builder the log comes from.
type Machine struct {
	// VM is the Multipass instance's name; empty for the local backend.
	VM string
	// Memory is the VM's memory, or the host's RAM, in bytes (0 unknown).
	Memory int64
	// MemLimit is the memory limit the build ran under (a cgroup's) when
	// it is lower than Memory; 0 when none applied or it is unknown.
	MemLimit int64
	// MemLimitCgroup is the memory cgroup whose limit MemLimit is, when
	// known (the build ran in it).
	MemLimitCgroup string
	// CPUs is the number of CPUs the builder has (0 unknown).
	CPUs int
	// Disk is the VM's disk size in bytes (0 unknown).
	Disk int64
	// StoreFree is the free space on the Nix store's disk after the
	// failure, in bytes (0 unknown).
	StoreFree int64
}

// Evidence is everything besides Nix's log that a diagnosis weighs.
type Evidence struct {
	// Signal is the signal that killed nix or the builder according to
	// the build script; 0 for none.
	Signal int
	// OOM is what the kernel said about memory.
	OOM OOM
	// Machine is the builder.
	Machine Machine
	// HostOS is the OS the message is shown on ("darwin" or "linux");
	// empty means this program's OS.
	HostOS string
	// User is the user name for hints such as usermod; empty means "$USER".
	User string
	// Project is what was built, so that hints can show commands; zero
	// for a log read by `nixpass explain`.
	Project builder.Project
	// GuestDir is Project.Dir as the builder sees it (paths in Nix's log
	// are the builder's); empty means the same as Project.Dir.
	GuestDir string
	// Contains reports whether the project's Nix files contain text, so a
	// hint can quote a hash in the form the files use; nil means unknown.
	Contains func(text string) bool
}

// Diagnosis is the verdict on one log.
type Diagnosis struct {
	// builder.Kind is builder.KindOK when the log shows no failure.
	Kind builder.Kind `json:"kind"`
	// Message says what happened; its first line stands alone.
	Message string `json:"message"`
	// Hint says what to do next.
	Hint string `json:"hint"`
	// Action is the short remedy menus and notifications show (at most 60
	// characters, no command line).
	Action string `json:"action,omitempty"`
	// Drv is the failing derivation's store path, when known.
	Drv string `json:"drv,omitempty"`
	// Position is FILE:LINE:COL of an evaluation error, when known.
	Position string `json:"position,omitempty"`
	// Missing is the file a missing-file diagnosis says does not exist, as
	// Nix's log names it (the builder's path), for advice only the caller
	// can give (is it on the host, outside every mounted folder?).
	Missing string `json:"-"`
	// Rule names the table rule that matched ("" for none).
	Rule string `json:"-"`
	// Commands are the commands the hint shows, each as the user would
	// type it (already quoted for a POSIX shell).
	Commands []string `json:"-"`
	// argvs are the argv of each step of each command, for tests.
	argvs [][][]string
}

// Diagnose runs the table over log and ev and returns the first rule's
// verdict. A log without any error gives builder.KindOK unless ev shows a signal.
func Diagnose(log string, ev Evidence) Diagnosis {
	if ev.HostOS == "" {
		ev.HostOS = hostOS
	}
	l := parse(log)
	for _, r := range Rules {
		m, ok := r.Match(l, &ev)
		if !ok {
			continue
		}
		h := &hint{}
		d := Diagnosis{Kind: r.Kind, Rule: r.Name, Drv: m.Drv, Position: m.Position, Missing: m.Missing}
		if r.KindOf != nil {
			d.Kind = r.KindOf(m, &ev)
		}
		d.Message = r.Message(m, &ev)
		d.Hint = r.Hint(m, &ev, h)
		if r.Action != nil {
			d.Action = r.Action(m, &ev)
		}
		d.Commands, d.argvs = h.cmds, h.argvs
		return d
	}
	return Diagnosis{Kind: builder.KindOK, Message: "the log shows no failure"}
}

// drvName turns /nix/store/<hash>-name.drv into name.
func drvName(p string) string {
	base := p[strings.LastIndex(p, "/")+1:]
	if i := strings.IndexByte(base, '-'); i == 32 {
		base = base[i+1:]
	}
	return strings.TrimSuffix(base, ".drv")
}
