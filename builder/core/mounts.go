package core

import (
	"slices"

	"nixpass/builder/config"
	"nixpass/builder/watch"
)

// applyMounts watches every extra folder (mounts) of the watched projects,
// with the same ignore rules as a project, and records which projects
// read each one: a change in a shared ../lib rebuilds all of them. A
// folder that is itself a registered project is watched as that project
// already. Called with a.mu held, after the projects are applied.
func (a *App) applyMounts(cfg *config.Config) {
	users := map[string][]string{}
	for _, p := range cfg.Projects {
		if !p.Watching() {
			continue
		}
		for _, m := range p.MountPaths() {
			if !slices.Contains(users[m], p.Path) {
				users[m] = append(users[m], p.Path)
			}
		}
	}
	for m := range users {
		if _, isProject := a.projects[m]; isProject {
			continue
		}
		if err := a.w.Add(watch.Spec{Dir: m}); err != nil {
			a.logf("watch %s: %v", m, err)
		}
	}
	for m := range a.mountUsers {
		if _, still := users[m]; !still {
			if _, isProject := a.projects[m]; !isProject {
				_ = a.w.Remove(m)
			}
		}
	}
	a.mountUsers = users
}

// triggered lists the projects a change in the watched folder dir
// rebuilds: its own project, if dir is one, and every project that
// mounts it. Called with a.mu held.
func (a *App) triggered(dir string) []config.Project {
	var out []config.Project
	if p, ok := a.env.Config.Project(dir); ok {
		out = append(out, *p)
	}
	for _, user := range a.mountUsers[dir] {
		if p, ok := a.env.Config.Project(user); ok && user != dir {
			out = append(out, *p)
		}
	}
	return out
}

// mountOnly reports whether dir is watched only as another project's
// mount, so its folder states are not a project's.
func (a *App) mountOnly(dir string) bool {
	_, isProject := a.projects[dir]
	_, isMount := a.mountUsers[dir]
	return isMount && !isProject
}

// moveState moves the state kept under the spelling the config file has
// for p (read canonically now) to p's canonical path, so nothing rebuilds.
// Called with a.mu held, when the app first sees p.
func (a *App) moveState(p config.Project) {
	if p.Written == "" {
		return
	}
	if err := a.env.Store.MoveProject(p.Written, p.Path); err != nil {
		a.logf("%v", err)
	}
}
