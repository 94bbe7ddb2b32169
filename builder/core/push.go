package core

import (
	"context"

	"nixpass/builder"
	"nixpass/builder/build"
	"nixpass/builder/registry"
)

// registryPusher is build.Pusher over builder/registry: the config's TLS
// and plain-HTTP policy, the state folder for the push's cache, and
// Docker's credentials. It runs on this host, whatever the machine.
type registryPusher struct {
	stateDir, version string
	transport         registry.Transport
}

// Push implements build.Pusher.
func (p registryPusher) Push(ctx context.Context, req build.PushRequest) (*builder.PushResult, error) {
	images := make([]registry.Image, len(req.Files))
	for i, f := range req.Files {
		images[i] = registry.Image{File: f}
	}
	return registry.Push(ctx, registry.Options{
		Ref: req.Ref, Name: req.Project, Images: images,
		StateDir: p.stateDir, Version: p.version, Transport: p.transport,
		Progress: req.Progress, Log: req.Log,
	})
}

// pusher is the Pusher for e's config.
func (e *Env) pusher() build.Pusher {
	return registryPusher{stateDir: e.StateDir, version: e.Version,
		transport: registry.Transport{CAFiles: e.Config.Registry.CAFiles, Insecure: e.Config.Registry.Insecure}}
}
