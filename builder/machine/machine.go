// Package machine says what a builder machine is: the Machine interface
// every builder implements, the optional interfaces some implement (a
// project preparer, emulation set-up, advisors for Nix, emulation, disk and
// mount hints, a description for a diagnosis), the evidence a diagnosis
// gathers from a machine, the nix.conf settings nixpass passes, the build
// script's lifeline and the build's locks on this host, and the set-up
// problems a machine's check can report.
//
// It may import builder (the root), diagnose, runner, script and shq;
// never build, store, docker or a concrete machine (machine/local,
// machine/vm import it).
package machine

import (
	"context"
	"io"

	"nixpass/builder"
	"nixpass/builder/diagnose"
)

// Machine is where builds run: a Multipass VM, or the host itself.
type Machine interface {
	// Describe names the machine for messages, e.g. `VM "nixpass"`.
	Describe() string
	// Prepare makes the machine ready to build the project in dir: created
	// and running, dir reachable from it, the build script installed and
	// Nix present. It returns dir as the machine sees it. Prepare is
	// idempotent: calling it on a ready machine changes nothing. Failures
	// are *builder.Error values of KindUnavailable with a hint.
	Prepare(ctx context.Context, dir string, progress func(string)) (guestDir string, err error)
	// RunScript runs the build script with args, streaming its output, and
	// returns its exit status. When ctx is done it stops the script where
	// it runs (inside the VM too) and returns once it has ended. token
	// names the run for that purpose.
	RunScript(ctx context.Context, token string, args []string, stdout, stderr io.Writer) (exit int, err error)
	// Status reports the machine's state without changing it.
	Status(ctx context.Context) builder.BuilderStatus
}

// ProjectPreparer is implemented by machines whose preparation depends on
// more of the project than its folder (the VM mounts p.Mounts too).
type ProjectPreparer interface {
	// PrepareProject is Prepare for a build of p.
	PrepareProject(ctx context.Context, p builder.Project, progress func(string)) (guestDir string, err error)
}

// EmulationSetup is implemented by machines that can set up emulation of
// a foreign system themselves when the script reports it missing.
type EmulationSetup interface {
	// SetupEmulation makes the machine able to build for system.
	SetupEmulation(ctx context.Context, system string, progress func(string)) error
}

// HostScriptDirer is a Machine whose script runs on this host, with its
// run folder here (the local backend); the VM's is inside the VM, and
// nothing of it is removed on the host.
type HostScriptDirer interface {
	// HostScriptDir is the folder the script is installed in.
	HostScriptDir() string
}

// PrepareWarner is implemented by machines whose preparation can find
// something a build's result should say without failing it (nix-daemon
// ignores the team cache for this user).
type PrepareWarner interface {
	// PrepareWarning is what the last Prepare found, or "".
	PrepareWarning() string
}

// DiskAdvisor is implemented by machines that can tell the user how to
// get more disk space.
type DiskAdvisor interface {
	// DiskHint says how to free or add disk space on the machine.
	DiskHint(ctx context.Context) string
}

// NixAdvisor is implemented by machines that know how to get Nix onto
// them when it is missing; without it the remedy is to recreate the VM.
type NixAdvisor interface {
	// NixHint says how to install Nix on the machine.
	NixHint() string
}

// EmulationAdvisor is implemented by machines whose user must set up
// emulation of a foreign system by hand; without it the remedy is
// `nixpass vm setup`.
type EmulationAdvisor interface {
	// EmulationHint says how to make the machine build for system.
	EmulationHint(system string) string
}

// MountAdvisor is implemented by machines that see the host's files only
// through mounts (the VM): a file a build could not find may exist on the
// host outside every mount.
type MountAdvisor interface {
	// MountAdvice says which folder to mount so that missing (a path in
	// Nix's log) becomes visible to a build of p, or "" when mounting
	// would not help.
	MountAdvice(missing string, p builder.Project) string
}

// Describer is implemented by machines that can describe themselves for
// a diagnosis (size, VM name).
type Describer interface {
	// DiagnoseMachine describes the machine as it is now.
	DiagnoseMachine(ctx context.Context) diagnose.Machine
}
