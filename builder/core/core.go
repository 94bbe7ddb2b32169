package core

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofrs/flock"

	"nixpass/builder"
	"nixpass/builder/build"
	"nixpass/builder/config"
	"nixpass/builder/scheduler"
	"nixpass/builder/store"
	"nixpass/builder/watch"
)

// ErrAlreadyRunning is returned by Start when another nixpass app holds
// the per-user lock.
var ErrAlreadyRunning = errors.New("another nixpass app is already running")

// App is a running nixpass: watchers, the scheduler and the state the
// tray shows. Create it with Start; stop it with Quit.
type App struct {
	// Bus carries every event after the snapshot has taken it in, so a
	// subscriber that reads Snapshot on an event sees that event's effect.
	Bus *builder.Bus
	// internal is where the scheduler and builds publish.
	internal *builder.Bus

	env   *Env
	sched *scheduler.Scheduler
	// uploads are the team cache's uploads, which run after their builds
	// (the next build of another project does not wait for them).
	uploads *build.Uploads
	w       *watch.Watcher
	lock    *flock.Flock
	logf    func(string, ...any)

	mu           sync.Mutex
	projects     map[string]*builder.ProjectStatus
	status       builder.BuilderStatus
	agent        LoginAgent
	startAtLogin bool
	// configProblem is the config edit not in force (nil when it parses).
	configProblem *builder.ConfigProblem

	// mountUsers maps each watched extra folder to the projects that
	// mount it (mounts.go); guarded by mu.
	mountUsers map[string][]string

	cancel context.CancelFunc
	// first holds the projects never built when Start ran (BuildNeverBuilt).
	first []config.Project
	// firstReason is why each of first is built: "first build", "last
	// build killed" or "last build cancelled".
	firstReason map[string]string
	// knownGood is when a build or a check last found the builder working.
	knownGood time.Time
}

// Start loads the config at path, takes the single-instance lock, starts
// watching every project with watch = true and starts the scheduler. logf
// receives problems that have no event (config reload errors).
func Start(path string, logf func(string, ...any)) (*App, error) {
	env, err := Load(path)
	if err != nil {
		return nil, err
	}
	for _, n := range env.Notices {
		logf("%s", n)
	}
	if err := os.MkdirAll(env.StateDir, 0o700); err != nil {
		return nil, fmt.Errorf("create state folder: %w", err)
	}
	lock := flock.New(filepath.Join(env.StateDir, "app.lock"))
	ok, err := lock.TryLock()
	if err != nil {
		return nil, fmt.Errorf("lock app: %w", err)
	}
	pidFile := filepath.Join(env.StateDir, "app.pid")
	if !ok {
		pid, _ := os.ReadFile(pidFile)
		return nil, fmt.Errorf("%w (pid %s): quit it first, or use it", ErrAlreadyRunning, strings.TrimSpace(string(pid)))
	}
	_ = os.WriteFile(pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600)
	// A build whose nixpass was killed is cleaned up and recorded now,
	// before the snapshot reads the projects' last results.
	env.Store.SweepKilled()

	cfg := env.Config
	w, err := watch.New(watch.Options{Quiet: cfg.Scheduler.Quiet.D(), MaxWait: cfg.Scheduler.MaxWait.D(), Own: env.OwnPaths()})
	if err != nil {
		lock.Unlock()
		return nil, err
	}
	a := &App{Bus: &builder.Bus{}, internal: &builder.Bus{}, env: env, w: w, lock: lock, logf: logf,
		projects: map[string]*builder.ProjectStatus{}, firstReason: map[string]string{}}
	opts := scheduler.Options{Restart: cfg.Scheduler.Restart, IdleStop: cfg.VM.IdleStop.D(), Backend: cfg.Builder.Backend, Name: cfg.VM.Name, Logf: logf}
	if env.VM != nil {
		opts.Stopper = idleStop{env}
	}
	b := env.Builder(a.internal.Publish)
	// Each upload is on the VM users' record while it runs: stopping or
	// resizing the VM, in this process or another, waits for it.
	a.uploads = &build.Uploads{Users: env.VMUsers()}
	b.Uploads = a.uploads
	a.sched = scheduler.New(b, a.internal, opts)
	a.status = builder.BuilderStatus{Backend: cfg.Builder.Backend, Name: cfg.VM.Name, State: builder.BuilderUnknown}
	a.first = a.apply(cfg, true)

	ctx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	events, stop := a.internal.Subscribe()
	go a.track(events)
	go func() { a.sched.Run(ctx); stop() }()
	go a.forward(ctx)
	go a.watchConfig(ctx)
	go a.refreshStatus(ctx)
	return a, nil
}

// apply makes the watched projects match cfg. Called at start and on
// every config change. It returns the projects to build now: at start
// those never built, later every project added (nixpass add promises a
// build).
func (a *App) apply(cfg *config.Config, starting bool) []config.Project {
	a.mu.Lock()
	defer a.mu.Unlock()
	seen := map[string]bool{}
	var build []config.Project
	for _, p := range cfg.Projects {
		p = p.WithDefaults()
		seen[p.Path] = true
		ps, ok := a.projects[p.Path]
		if !ok {
			a.moveState(p)
			last, _ := a.env.Store.Last(p.Path)
			ps = &builder.ProjectStatus{Path: p.Path, State: builder.ProjectIdle, Last: last}
			a.projects[p.Path] = ps
			// A build cancelled by quitting, or killed, did not finish:
			// build again, saying why.
			if !starting || last == nil || last.Kind == builder.KindCancelled {
				build = append(build, p)
				if starting {
					a.firstReason[p.Path] = startReason(last)
				}
			}
		}
		ps.Name, ps.Output, ps.Watch, ps.DockerLoad = p.Name(), p.OutputPath(), p.Watching(), p.DockerLoad
		if p.Watching() {
			if err := a.w.Add(watch.Spec{Dir: p.Path, Output: p.Output, Flake: p.Flake != ""}); err != nil {
				ps.Problem = err.Error()
				a.logf("%v", err)
			}
		} else {
			_ = a.w.Remove(p.Path)
		}
	}
	for dir := range a.projects {
		if !seen[dir] {
			_ = a.w.Remove(dir)
			a.sched.Cancel(dir)
			delete(a.projects, dir)
		}
	}
	a.env.Config = cfg
	a.applyMounts(cfg)
	return build
}

// enqueue queues a build of each project, outside a.mu: queueing
// publishes events that track takes a.mu to record.
func (a *App) enqueue(ps []config.Project, reason string) {
	for _, p := range ps {
		a.sched.Enqueue(Request(p), reason)
	}
}

// forward turns watcher triggers and folder states into builds and events.
func (a *App) forward(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case t := <-a.w.Triggers():
			a.mu.Lock()
			ps := a.triggered(t.Dir)
			a.mu.Unlock()
			for _, p := range ps {
				a.sched.Enqueue(Request(p), "change")
			}
		case s := <-a.w.States():
			a.mu.Lock()
			mountOnly := a.mountOnly(s.Dir)
			a.mu.Unlock()
			if mountOnly {
				continue
			}
			state := builder.ProjectIdle
			if s.Missing {
				state = builder.ProjectMissing
			}
			a.internal.Publish(builder.ProjectChanged{At: builder.At{Time: time.Now()}, Project: s.Dir, State: state, Problem: s.Reason})
		}
	}
}

// track keeps the snapshot up to date from the event stream.
func (a *App) track(events <-chan builder.Event) {
	for ev := range events {
		// The scheduler says "idle" after a build; a project whose folder
		// is gone (or is a file now) stays missing.
		if e, ok := ev.(builder.ProjectChanged); ok && e.State == builder.ProjectIdle {
			if st, err := os.Stat(e.Project); err != nil || !st.IsDir() {
				e.State, e.Problem = builder.ProjectMissing, "the project folder is gone or is no longer a folder"
				ev = e
			}
		}
		a.mu.Lock()
		switch e := ev.(type) {
		case builder.ProjectChanged:
			if ps, ok := a.projects[e.Project]; ok {
				ps.State, ps.Problem = e.State, e.Problem
				if e.State == builder.ProjectBuilding {
					ps.Since = e.Time
				} else if e.State != builder.ProjectQueued {
					ps.Since = time.Time{}
				}
			}
		case builder.BuildFinished:
			if ps, ok := a.projects[e.Result.Project]; ok {
				r := e.Result
				ps.Last, ps.Progress = &r, ""
			}
		case builder.BuildPhase:
			if ps, ok := a.projects[e.Project]; ok {
				ps.Progress = e.Phase
				if e.Detail != "" {
					ps.Progress += ": " + e.Detail
				}
			}
		case builder.PushProgress:
			if ps, ok := a.projects[e.Project]; ok {
				ps.Progress = e.MenuLine(filepath.Base(e.Project))
			}
		case builder.BuilderChanged:
			a.status = e.Status
		}
		a.mu.Unlock()
		a.Bus.Publish(ev)
		if f, ok := ev.(builder.BuildFinished); ok {
			a.statusFromOutcome(f.Result)
		}
	}
}

// Snapshot is a copy of everything the tray shows.
func (a *App) Snapshot() builder.Snapshot {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := builder.Snapshot{Builder: a.status, StartAtLogin: a.startAtLogin, ConfigProblem: a.configProblem}
	for _, ps := range a.projects {
		s.Projects = append(s.Projects, *ps)
	}
	sort.Slice(s.Projects, func(i, j int) bool { return s.Projects[i].Name < s.Projects[j].Name })
	return s
}

// BuildNeverBuilt queues a build of every project that had never been
// built when Start ran: the first run's promise that a registered project
// is built without waiting for a change. Callers call it once, after
// subscribing to Bus, so that they see those builds queued.
func (a *App) BuildNeverBuilt() {
	a.mu.Lock()
	first, reasons := a.first, a.firstReason
	a.first, a.firstReason = nil, map[string]string{}
	a.mu.Unlock()
	for _, p := range first {
		a.sched.Enqueue(Request(p), reasons[p.Path])
	}
}

// startReason is why the app builds a project as it starts: it was never
// built, or its last build did not finish.
func startReason(last *builder.Result) string {
	switch {
	case last == nil:
		return "first build"
	case store.WasKilled(last):
		return "last build killed"
	default:
		return "last build cancelled"
	}
}

// Build queues a build of the registered project in dir.
func (a *App) Build(dir string) error {
	a.mu.Lock()
	p, ok := a.env.Config.Project(dir)
	a.mu.Unlock()
	if !ok {
		return fmt.Errorf("%s: %w", dir, config.ErrProjectNotFound)
	}
	a.sched.Enqueue(Request(*p), "manual")
	return nil
}

// BuildAll queues a build of every registered project.
func (a *App) BuildAll() {
	for _, p := range a.Snapshot().Projects {
		_ = a.Build(p.Path)
	}
}

// Cancel cancels the queued or running build of dir.
func (a *App) Cancel(dir string) { a.sched.Cancel(dir) }

// ConfigPath is the config file in use.
func (a *App) ConfigPath() string { return a.env.Path }

// History is the recorded builds of the project in dir, newest first
// (what `nixpass history DIR` lists).
func (a *App) History(dir string) ([]builder.Result, error) {
	return a.env.Store.ProjectHistory(dir)
}

// Env is the wiring in force (config, machine, store).
func (a *App) Env() *Env { return a.env }

// Quit stops accepting builds and cancels or finishes the running one as
// [scheduler] on_quit says, then releases the lock.
func (a *App) Quit() {
	a.sched.Quit(a.env.Config.Scheduler.OnQuit != "finish")
	a.waitUploads()
	a.cancel()
	_ = a.w.Close()
	_ = os.Remove(filepath.Join(a.env.StateDir, "app.pid"))
	_ = a.lock.Unlock()
}
