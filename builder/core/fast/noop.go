package fast

import (
	"context"

	"nixpass/builder"
	"nixpass/builder/build"
	"nixpass/builder/config"
	"nixpass/builder/store"
)

// Attempt is one no-op build by the lean front.
type Attempt struct {
	// Config is the config file's path.
	Config string
	// Dir is the project folder, canonical (config.Canonical).
	Dir string
	// Notice receives the folders loading made private (Private),
	// before the build.
	Notice func(string)
	// Emit receives the build's events.
	Emit func(builder.Event)
}

// Build finishes a's build when the project is up to date on this host
// and nothing but that is asked of it, and returns its result, recorded
// as core's build records it. It returns nil, with nothing recorded or
// said, for every other build, which the full nixpass makes: another
// backend, config warnings (the full build says them), remote builders
// (their trust check reads the user's groups through the system's user
// database, which this lean binary does not link), team cache uploads,
// several systems, a running build of the same request to join, an
// image not yet pushed, a config or source error (whose message is the
// full build's), and a project out of date.
// stale is then the project's request key when Nix was asked and found
// it out of date (build.Builder's SkipUpToDate), else "".
func (a Attempt) Build(ctx context.Context) (res *builder.Result, stale string) {
	cfg, err := config.Load(a.Config)
	if err != nil || len(cfg.Warnings()) > 0 || cfg.Builder.Backend != config.BackendLocal || !Remote(cfg).Empty() || cfg.Cache.Upload != "" {
		return nil, ""
	}
	state, err := config.StateDir()
	if err != nil {
		return nil, ""
	}
	logs, err := config.LogDir()
	if err != nil {
		return nil, ""
	}
	p, ok := cfg.Project(a.Dir)
	if !ok {
		np := config.NewProject(a.Dir)
		p = &np
	}
	req := Request(*p)
	if build.CheckSource(req) != nil {
		return nil, ""
	}
	s := &store.Store{StateDir: state, LogDir: logs}
	key := req.RequestKey()
	if len(s.RunningRequest(req.Dir, key)) > 0 {
		return nil, ""
	}
	// Said once, here: the full nixpass finds them made.
	for _, n := range Private(state, logs, a.Config) {
		if a.Notice != nil {
			a.Notice(n)
		}
	}
	b := &build.Builder{Machine: Local(cfg, state), Store: s, LockPath: LockPath(cfg, state), Emit: a.Emit}
	Configure(b, cfg)
	res, out := b.BuildIfUpToDate(ctx, req)
	if out {
		stale = key
	}
	return res, stale
}
