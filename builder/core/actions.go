package core

import (
	"context"
	"errors"
	"fmt"
	"time"

	"nixpass/builder/agent"

	"nixpass/builder"
	"nixpass/builder/config"
	"nixpass/builder/machine/local"
	"nixpass/builder/store"
)

// errNoVM is returned by VM actions with the local backend.
var errNoVM = errors.New("the builder is this machine (backend = \"local\"): there is no VM")

// Subscribe streams the core's events until the returned func is called.
func (a *App) Subscribe() (<-chan builder.Event, func()) { return a.Bus.Subscribe() }

// SetWatch turns automatic builds of dir on or off in the config file;
// the change takes effect when the config reload sees it.
func (a *App) SetWatch(dir string, on bool) error { return config.SetProjectWatch(a.env.Path, dir, on) }

// AddProject registers dir with the defaults.
func (a *App) AddProject(dir string) error {
	if c, err := config.Canonical(dir); err == nil {
		dir = c
	}
	return config.AddProject(a.env.Path, config.Project{Path: dir})
}

// RemoveProject unregisters dir; its image stays.
func (a *App) RemoveProject(dir string) error {
	if err := config.RemoveProject(a.env.Path, dir); err != nil {
		return err
	}
	return DropRoots(a.env.StateDir, dir)
}

// LocalStoreFree is the free space on this machine's Nix store's disk:
// what `nixpass vm gc` says on the local backend, which never collects.
func LocalStoreFree() (int64, error) { return local.StoreFree() }

// DropRoots drops the garbage-collector roots of the removed project dir:
// on this host at once, in the VM at its next build or vm gc.
func DropRoots(stateDir, dir string) error {
	if err := (&store.Store{StateDir: stateDir}).DropRoots(dir); err != nil {
		return fmt.Errorf("drop the store roots of %s: %w", dir, err)
	}
	return nil
}

// VMName is the builder VM's name.
func (a *App) VMName() string { return a.env.Config.VM.Name }

// StartBuilder starts (or creates) the VM.
func (a *App) StartBuilder(ctx context.Context) error {
	if a.env.VM == nil {
		return errNoVM
	}
	defer a.updateStatus(ctx)
	return a.env.VM.Start(ctx, nil)
}

// StopBuilder stops the VM.
func (a *App) StopBuilder(ctx context.Context) error {
	if a.env.VM == nil {
		return errNoVM
	}
	defer a.updateStatus(ctx)
	// Stopping waits for the running build, the uploads and the vm
	// builder sessions (vmlife.go), saying so in the log.
	release, err := a.env.HoldVM(ctx, a.phaseSay(""))
	if err != nil {
		return fmt.Errorf("stop the builder VM: %w", err)
	}
	defer release()
	return a.env.VM.Stop(ctx)
}

// DeleteBuilder deletes and purges the VM.
func (a *App) DeleteBuilder(ctx context.Context) error {
	if a.env.VM == nil {
		return errNoVM
	}
	defer a.updateStatus(ctx)
	return a.env.VM.Delete(ctx)
}

// DockerLoad loads dir's image into Docker the way a build with
// docker_load does; a failure is an *builder.Error of KindDocker.
func (a *App) DockerLoad(ctx context.Context, dir string) error {
	a.mu.Lock()
	p, ok := a.env.Config.Project(dir)
	// Builder reads the config, which a reload replaces under a.mu.
	b := a.env.Builder(a.internal.Publish)
	a.mu.Unlock()
	if !ok {
		return fmt.Errorf("%s: %w", dir, config.ErrProjectNotFound)
	}
	return b.LoadImage(ctx, Request(*p))
}

// LoginAgent installs and removes the login agent; *agent.Manager is one.
type LoginAgent interface {
	// Install installs and loads the agent.
	Install() error
	// Uninstall removes it.
	Uninstall() error
	// Status reports whether it is installed and enabled (the checkbox).
	Status() (agent.Status, error)
}

// SetLoginAgent gives the app the agent behind "Start at login".
func (a *App) SetLoginAgent(l LoginAgent) {
	st, _ := l.Status()
	a.mu.Lock()
	a.agent, a.startAtLogin = l, st.Enabled
	a.mu.Unlock()
}

// MultipassCommand is the configured Multipass command ([builder]
// multipass), for "Open shell".
func (a *App) MultipassCommand() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.env.Config.Builder.Multipass
}

// RefreshStartAtLogin re-reads the login agent's state (the menu calls it
// when it opens: Login Items may have switched nixpass off) and publishes
// a change.
func (a *App) RefreshStartAtLogin() {
	a.mu.Lock()
	l := a.agent
	a.mu.Unlock()
	if l == nil {
		return
	}
	st, err := l.Status()
	if err != nil {
		return
	}
	a.mu.Lock()
	changed := a.startAtLogin != st.Enabled
	a.startAtLogin = st.Enabled
	a.mu.Unlock()
	if changed {
		a.Bus.Publish(builder.BuilderChanged{At: builder.At{Time: time.Now()}, Status: a.Snapshot().Builder})
	}
}

// SetStartAtLogin installs or removes the login agent.
func (a *App) SetStartAtLogin(on bool) error {
	a.mu.Lock()
	l := a.agent
	a.mu.Unlock()
	if l == nil {
		return errors.New("start at login is not available in this build")
	}
	var err error
	if on {
		err = l.Install()
	} else {
		err = l.Uninstall()
	}
	st, _ := l.Status()
	a.mu.Lock()
	a.startAtLogin = st.Enabled
	a.mu.Unlock()
	a.Bus.Publish(builder.BuilderChanged{At: builder.At{Time: time.Now()}, Status: a.Snapshot().Builder})
	return err
}
