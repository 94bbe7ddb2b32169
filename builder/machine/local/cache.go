package local

import (
	"context"
	"os/user"
	"sync"

	"nixpass/builder/cache"
	"nixpass/builder/machine"
)

// teamCache is the state of [cache]'s pull for this machine's builds.
type teamCache struct {
	// trust runs the check of nix-daemon's trust once per process (Nix's
	// configuration is read at most once: the no-op budget).
	trust   sync.Once
	warning string
	mu      sync.Mutex
	// down is set by Prepare when the cache did not answer the probe:
	// that build runs without it.
	down bool
}

var _ machine.PrepareWarner = (*Machine)(nil)

// prepareCache probes the team cache once before a build: a cache that
// is down costs one short timeout, is said once in the progress line and
// is left out of this build's settings, instead of Nix retrying it with
// backoff. It also checks, once per process, whether nix-daemon will
// honour the cache for this user.
func (l *Machine) prepareCache(ctx context.Context, progress func(string)) {
	if l.Cache.URL == "" {
		return
	}
	err := cache.Probe(ctx, l.Cache.URL)
	l.cache.mu.Lock()
	l.cache.down = err != nil
	l.cache.mu.Unlock()
	if err != nil && progress != nil {
		progress(err.Error())
	}
	l.cache.trust.Do(func() {
		if !l.viaDaemon() {
			return // root builds in its own store and needs no trust
		}
		conf, err := l.nixConfig(ctx)
		if err != nil {
			return
		}
		u, err := user.Current()
		if err != nil {
			return
		}
		l.cache.warning = l.Cache.Warning(cache.Daemon{Conf: conf}, u)
	})
}

// PrepareWarning implements machine.PrepareWarner: nix-daemon ignores the
// team cache for this user, and the lines its nix.conf needs.
func (l *Machine) PrepareWarning() string {
	if l.Cache.URL == "" {
		return ""
	}
	return l.cache.warning
}

// cacheSettings are the team cache's Nix settings for this build: none
// while it is down; only those the daemon takes from an untrusted user
// when it would ignore the rest.
func (l *Machine) cacheSettings() []machine.Setting {
	l.cache.mu.Lock()
	down := l.cache.down
	l.cache.mu.Unlock()
	if down {
		return nil
	}
	s := l.Cache.Settings()
	if l.cache.warning != "" {
		s = l.Cache.DaemonSettings()
	}
	out := make([]machine.Setting, 0, len(s))
	for _, x := range s {
		out = append(out, machine.Setting{Name: x.Name, Value: x.Value})
	}
	return out
}
