package vm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"nixpass/builder"
	"nixpass/builder/diagnose"
	"nixpass/builder/machine"
	"nixpass/builder/multipass"
	"nixpass/builder/runner"
	"nixpass/builder/shq"
)

var (
	_ machine.ProjectPreparer = (*Machine)(nil)
	_ machine.EmulationSetup  = (*Machine)(nil)
)

// PrepareProject is Prepare for a build: the VM running, the project and
// its extra folders mounted, from one `multipass info` (one call more
// when the VM is stopped: start; a launch and no second info when it does
// not exist and AutoCreate is set). It does not check the script or Nix:
// the build verb checks Nix itself, and the build's exec installs the
// script when it is missing (install.go), so a warm build is one info
// and one exec.
func (v *Machine) PrepareProject(ctx context.Context, p builder.Project, progress func(string)) (string, error) {
	if progress == nil {
		progress = func(string) {}
	}
	inst, err := v.running(ctx, progress)
	if err != nil {
		return "", err
	}
	guest, err := v.mount(ctx, inst, p.Dir, progress)
	if err != nil {
		return "", err
	}
	for _, m := range p.Mounts {
		if st, err := os.Stat(m); err != nil || !st.IsDir() {
			return "", &builder.Error{Kind: builder.KindConfig, Err: err,
				Message: fmt.Sprintf("%s, in the project's mounts, is not a folder on this computer", m),
				Hint:    "create it, or remove it from mounts in the project's [[project]] table (nixpass list shows the projects)"}
		}
		g, err := v.mount(ctx, inst, m, progress)
		if err != nil {
			return "", err
		}
		if want := guestRelative(guest, p.Dir, m); want != g {
			progress(fmt.Sprintf("note: %s is at %s in the builder VM, not %s: relative paths from the project to it do not work there", m, g, want))
		}
	}
	if err := v.prepareUpload(ctx, inst, progress); err != nil {
		return "", err
	}
	return guest, nil
}

// guestRelative is where the host folder m would be in the VM if it kept
// its place relative to the project.
func guestRelative(guestProject, hostProject, m string) string {
	rel, err := filepath.Rel(hostProject, m)
	if err != nil {
		return m
	}
	return path.Join(guestProject, filepath.ToSlash(rel))
}

// scriptMissing reports whether a run of `sh SCRIPT ...` ended because
// the script is not installed: sh's "cannot open" status (127 from bash,
// 2 from dash) before the script said anything.
func scriptMissing(code int, said bool) bool {
	return !said && (code == 127 || code == 2)
}

// saidWriter passes writes on and remembers whether there were any.
type saidWriter struct {
	w    interface{ Write([]byte) (int, error) }
	said bool
}

func (s *saidWriter) Write(b []byte) (int, error) {
	if len(b) > 0 {
		s.said = true
	}
	return s.w.Write(b)
}

// emulatedSystems are the systems `vm setup` makes the VM build for; the
// VM's own is skipped by the script.
var emulatedSystems = []string{"x86_64-linux", "aarch64-linux"}

// SetupEmulation implements machine.EmulationSetup: the first build for a system
// the VM cannot run yet sets up its emulation, then builds.
func (v *Machine) SetupEmulation(ctx context.Context, system string, progress func(string)) error {
	if progress == nil {
		progress = func(string) {}
	}
	progress(fmt.Sprintf("setting up %s emulation in the builder VM (once: installs qemu-user-static, restarts its Nix daemon)", system))
	return v.setupEmulation(ctx, progress, system)
}

// setupEmulation runs the script's setup-emulation verb as root in the VM:
// qemu-user-static registered with the F flag, extra-platforms in the Nix
// daemon's nix.conf (the VM's user cannot set it per build) and the
// daemon restarted.
func (v *Machine) setupEmulation(ctx context.Context, progress func(string), systems ...string) error {
	var stderr bytes.Buffer
	problem := ""
	pw := &machine.LineWriter{Fn: func(l string) {
		rest, ok := strings.CutPrefix(l, "@nixpass ")
		if !ok {
			return
		}
		if e, isErr := strings.CutPrefix(rest, "error "); isErr {
			_, problem, _ = strings.Cut(e, " ")
			return
		}
		progress(rest)
	}}
	args := append([]string{"sudo", "-n", "sh", v.scriptPath(), "setup-emulation"}, systems...)
	_, err := v.Client.Exec(ctx, v.Name, multipass.ExecOptions{Args: args, Stdout: pw, Stderr: &stderr})
	pw.Flush()
	var xe *runner.ExitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &xe) && scriptMissing(xe.Code, false):
		if ierr := v.installScript(ctx); ierr != nil {
			return ierr
		}
		stderr.Reset()
		if _, err = v.Client.Exec(ctx, v.Name, multipass.ExecOptions{Args: args, Stdout: pw, Stderr: &stderr}); err == nil {
			return nil
		}
	}
	if errors.As(err, &xe) {
		if problem == "" {
			problem = diagnose.LastNonEmpty(strings.Split(stderr.String(), "\n"))
		}
		return &builder.Error{Kind: builder.KindUnavailable, Err: err,
			Message: fmt.Sprintf("set up emulation of %s in the builder VM %q: %s", strings.Join(systems, ", "), v.Name, problem),
			Hint:    "it needs the network (apt-get install qemu-user-static); see what failed with: " + shq.Join(append([]string{"multipass", "exec", v.Name, "--"}, args...)...)}
	}
	return v.unavailable("set up emulation in the builder VM", err)
}
