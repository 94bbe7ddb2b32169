package tray

import (
	"context"

	"nixpass/builder"
)

// Core is what the menu drives; core.App (plus the app's wiring)
// implements it.
type Core interface {
	// Snapshot returns the current state.
	Snapshot() builder.Snapshot
	// Subscribe streams events until the returned func is called.
	Subscribe() (<-chan builder.Event, func())
	// Build queues a build of the project in dir.
	Build(dir string) error
	// BuildAll queues every project.
	BuildAll()
	// Cancel cancels the queued or running build of dir.
	Cancel(dir string)
	// SetWatch turns automatic builds of dir on or off.
	SetWatch(dir string, on bool) error
	// AddProject registers dir.
	AddProject(dir string) error
	// RemoveProject unregisters dir.
	RemoveProject(dir string) error
	// StartBuilder starts (or creates) the builder VM.
	StartBuilder(ctx context.Context) error
	// StopBuilder stops the builder VM.
	StopBuilder(ctx context.Context) error
	// DeleteBuilder deletes the builder VM.
	DeleteBuilder(ctx context.Context) error
	// RebuildWithMemory grows the VM's memory to memory bytes (waiting
	// for a running build) and builds dir again.
	RebuildWithMemory(ctx context.Context, dir string, memory int64) error
	// DockerLoad loads dir's image into Docker.
	DockerLoad(ctx context.Context, dir string) error
	// SetStartAtLogin installs or removes the login agent.
	SetStartAtLogin(on bool) error
	// ConfigPath is the config file.
	ConfigPath() string
	// History is dir's recorded builds, newest first.
	History(dir string) ([]builder.Result, error)
	// VMName is the builder VM's name.
	VMName() string
	// Quit stops builds as configured; it returns when they have ended.
	Quit()
}

// Notifier announces what happened (the notify package's one).
type Notifier interface {
	// Notify shows a desktop notification.
	Notify(title, body string) error
}
