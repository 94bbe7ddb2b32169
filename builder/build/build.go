// Package build runs one build of a project on a machine.Machine: it takes
// the builder lock, prepares the machine, runs the build script, follows its
// protocol and Nix's log, puts the image in place atomically, classifies a
// failure with the diagnosis table and the machine's optional advisors,
// loads the image into Docker, and records the result in the store. It also
// explains a log read from elsewhere (Explain) and checks a project's source
// before a build (CheckSource).
//
// It may import builder (the root), machine, store, docker, diagnose,
// script, runner and shq; never a concrete machine (machine/local,
// machine/vm): core chooses the machine.
package build

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"nixpass/builder"
	"nixpass/builder/docker"
	"nixpass/builder/machine"
	"nixpass/builder/runner"
	"nixpass/builder/shq"
	"nixpass/builder/store"
)

// DefaultTimeout bounds a build when the config says nothing.
const DefaultTimeout = 2 * time.Hour

// Builder runs builds of projects on one Machine, one at a time across
// processes, and records their results.
type Builder struct {
	Machine machine.Machine
	Store   *store.Store
	// LockPath is the file locked for the duration of a build, so the CLI
	// and a running app never build in the same VM at once.
	LockPath string
	// Timeout bounds each build; zero means DefaultTimeout.
	Timeout time.Duration
	// Runner runs host commands such as `docker load`; nil means runner.Exec.
	Runner runner.Runner
	// Docker loads images of projects with docker_load; nil means the
	// docker CLI with DefaultLoadTimeout, run by Runner.
	Docker *docker.CLI
	// Pusher pushes the images of projects with a push ref, on this
	// host; nil fails such a push.
	Pusher Pusher
	// Emit receives the build's events; nil discards them.
	Emit func(builder.Event)
	// Cache uploads successful builds to the team cache; nil uploads
	// nothing.
	Cache CacheUploader
	// Uploads, when set (the app), runs Cache's uploads after Build has
	// returned and the builder lock is free; nil (the CLI) waits for them.
	Uploads *Uploads
	// VMUsers, when set, is the record of the VM's other users (uploads,
	// vm builder sessions): growing the VM's memory waits for them.
	VMUsers VMUsers
	// MemoryGrown is called with the VM's new memory after an OOM build
	// grew it (grow.go): core writes it to [vm] memory. Nil writes nothing.
	MemoryGrown func(bytes int64) error
	// DeployPlatform is the platform the user most likely runs images on
	// (on an Apple-silicon Mac, "linux/amd64": most servers), or "". A
	// project without a system whose image is for another platform gets
	// a warning, once, saying how to build for this one.
	DeployPlatform string
	// NoOOMRetry is [builder] oom_retry = false: a build killed for lack
	// of memory is not rebuilt with fewer jobs.
	NoOOMRetry bool
	// SkipUpToDate is the request key (builder.Project.RequestKey) of a
	// project the caller already found out of date with Nix
	// (BuildIfUpToDate in the CLI's lean front): its build goes straight
	// to the builder lock instead of asking Nix the same question again.
	SkipUpToDate string
	// RemoteOnly is [builder] max_jobs = 0: builds run on remote builders
	// only, so there are no local jobs to halve.
	RemoteOnly bool
	// System is the builder's own Nix system (core names it from the
	// machine's architecture: a Multipass guest's is the host's); ""
	// means this binary's. A project with systems = [...] builds it first
	// and into the project's file, the others through emulation.
	System string
}

// ErrTimeout is the cause of a build context that ran out of time.
var ErrTimeout = errors.New("build timed out")

func (b *Builder) emit(e builder.Event) {
	if b.Emit != nil {
		b.Emit(e)
	}
}

// run holds the state of one build while it runs.
type run struct {
	b       *Builder
	p       builder.Project
	res     *builder.Result
	log     *store.Log
	mu      sync.Mutex
	nixLog  nixText
	report  scriptReport
	builtOn builtOn
	// nixLocks is what holds the Nix locks Nix waits for (wait.go).
	nixLocks nixLocks
	// saidNetwork is set once the progress line said the network is down.
	saidNetwork bool
	phase       string
	started     time.Time
	// token names this run's script invocation, its temporary file and
	// its running marker (see store/killed.go).
	token string
	// installed is set once the temporary file is renamed into place.
	installed bool
	// guestDir is the project folder as the builder sees it.
	guestDir string
	// marker is the running marker, nil without a Store.
	marker *store.Lock
	// failedDrv is the derivation the last classified failure names.
	failedDrv string
	// later is the good output whose cache upload runs after Build has
	// returned (Builder.Uploads).
	later *store.GoodOutput
	// uploadNow is set when the background upload itself runs.
	uploadNow bool
	// system is set on the run of another system's image of a project
	// with systems = [...] (systems.go): its image goes to the state
	// folder, and the post-build steps are its parent's.
	system string
	// progress reports a preparation step (emulation set-up too).
	progress func(string)
	// ready are the runs of the other systems found up to date before
	// the builder lock (systemsUpToDate).
	ready []*run
	// onlyUpToDate is a run of BuildIfUpToDate; abandoned is set when it
	// stopped before the lock, stale when Nix said p is out of date.
	onlyUpToDate, abandoned, stale bool
	// evaluated is set once upToDate asked Nix.
	evaluated bool
}

// Build builds p and returns its result; it never returns nil. The result
// is also recorded in the Store and announced with a BuildFinished event.
func (b *Builder) Build(ctx context.Context, p builder.Project) *builder.Result {
	if b.Uploads != nil {
		// A build of this project waits for its last upload: its result
		// is recorded only once the upload has ended.
		b.Uploads.waitProject(ctx, p.Dir)
	}
	r := b.newRun(ctx, b.primary(p))
	good := r.execute(ctx)
	if r.later != nil {
		return r.uploadLater(ctx, good)
	}
	return r.finish(good)
}

// newRun is a run of p starting now, its result failed until it succeeds.
func (b *Builder) newRun(ctx context.Context, p builder.Project) *run {
	now := time.Now()
	return &run{b: b, p: p, started: now, res: &builder.Result{
		Project: p.Dir,
		Status:  builder.StatusFailed,
		Output:  filepath.Join(p.Dir, p.Output),
		Started: now,
		Reason:  builder.ReasonOf(ctx),
		// "attempts": [] for a build that never ran Nix (a config error).
		Attempts: []builder.Attempt{},
	}}
}

// finish completes the result of a run, records it and announces it.
func (r *run) finish(good *store.GoodOutput) *builder.Result {
	b, res := r.b, r.res
	res.Finished = time.Now()
	res.DurationMS = res.Finished.Sub(res.Started).Milliseconds()
	if res.Kind == "" {
		res.Kind = builder.KindOK
	}
	if w, ok := b.Machine.(machine.PrepareWarner); ok && r.guestDir != "" {
		if s := w.PrepareWarning(); s != "" {
			res.Warning = strings.TrimPrefix(res.Warning+"; "+s, "; ")
		}
	}
	res.Message, res.Hint, res.Warning = cleanText(res.Message), cleanText(res.Hint), cleanText(res.Warning)
	if res.Cache != nil {
		// Nix's own error may echo a URL with its credentials.
		res.Cache.Error = cleanText(res.Cache.Error)
	}
	if r.log != nil {
		r.log.Own("")
		r.log.Own(fmt.Sprintf("# nixpass: %s (%s) %s", res.Status, res.Kind, res.Message))
		if res.Hint != "" {
			r.log.Own("# hint: " + res.Hint)
		}
		if err := r.log.Close(); err != nil && res.Warning == "" {
			res.Warning = "the build's log is incomplete: " + err.Error()
		}
	}
	if b.Store != nil {
		if err := b.Store.Record(res, good); err != nil && res.Warning == "" {
			res.Warning = err.Error()
		}
		b.Store.EndBuild(r.token, r.marker)
	}
	b.emit(builder.BuildFinished{At: builder.At{Time: time.Now()}, Result: *res})
	return res
}

func (r *run) fail(err error) *store.GoodOutput {
	var be *builder.Error
	if !errors.As(err, &be) {
		be = &builder.Error{Kind: builder.KindBuild, Message: err.Error()}
	}
	r.res.Status = builder.StatusFailed
	r.res.Kind = be.Kind
	r.res.Message = be.Message
	r.res.Hint = be.Hint
	r.res.Action = be.Action
	return nil
}

func (r *run) setPhase(ph string) {
	r.mu.Lock()
	if r.phase == ph {
		r.mu.Unlock()
		return
	}
	r.phase = ph
	r.endNixWait()
	r.mu.Unlock()
	r.b.emit(builder.BuildPhase{At: builder.At{Time: time.Now()}, Project: r.p.Dir, Phase: ph})
}

func (r *run) execute(parent context.Context) *store.GoodOutput {
	p, b := r.p, r.b
	if err := validate(p); err != nil {
		return r.fail(err)
	}
	token := newToken()
	r.token = token
	if b.Store != nil {
		b.Store.SweepKilled()
		f, err := b.Store.NewLog(p.Dir, r.started)
		if err != nil {
			return r.fail(&builder.Error{Kind: builder.KindConfig, Message: err.Error(), Hint: "check that the log folder " + b.Store.LogDir + " is writable", Err: err})
		}
		r.log = f
		r.res.Log = f.Name()
		// The marker outlives a killed nixpass, so the next one can
		// close this build's log and record it as killed.
		m := store.RunningMarker{Token: token, Project: p.Dir, Output: r.res.Output, Log: r.res.Log, Started: r.started, PID: os.Getpid(), Request: p.RequestKey()}
		if h, ok := b.Machine.(machine.HostScriptDirer); ok {
			m.ScriptDir = h.HostScriptDir()
		}
		if ml, err := b.Store.BeginBuild(m); err == nil {
			r.marker = ml
		}
	}
	b.emit(builder.BuildStarted{At: builder.At{Time: r.started}, Project: p.Dir, Log: r.res.Log})

	timeout := b.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeoutCause(parent, timeout, ErrTimeout)
	defer cancel()

	// Up to date is decided without the builder lock where the machine
	// can (the lock rule): a no-op never waits behind another build.
	upToDate := r.upToDate(ctx)
	if upToDate {
		if r.systemsUpToDate(ctx) {
			return r.succeed(ctx)
		}
		r.resetReport()
	}
	if r.onlyUpToDate {
		r.abandon(!upToDate && r.evaluated && ctx.Err() == nil)
		return nil
	}
	held, err := r.lock(ctx)
	if err != nil {
		return r.fail(r.interrupted(ctx, err))
	}
	defer held.Release()
	var files []*os.File
	for _, l := range []*store.Lock{held, r.marker} {
		if l != nil {
			files = append(files, l.File())
		}
	}
	ctx = machine.WithBuildLocks(ctx, files...)

	r.setPhase("preparing")
	// Preparing can take minutes (a first VM creation downloads an image
	// and installs Nix): each step goes to the log and, as the phase's
	// detail, to the CLI's stderr and the menu.
	progress := func(msg string) {
		r.logLine("# " + msg)
		b.emit(builder.BuildPhase{At: builder.At{Time: time.Now()}, Project: p.Dir, Phase: "preparing", Detail: msg})
	}
	r.progress = progress
	var guestDir string
	if pp, ok := b.Machine.(machine.ProjectPreparer); ok {
		guestDir, err = pp.PrepareProject(ctx, p, progress)
	} else {
		guestDir, err = b.Machine.Prepare(ctx, p.Dir, progress)
	}
	if err != nil {
		return r.fail(r.interrupted(ctx, err))
	}
	removeStaleTemps(p.Dir, p.Output)
	r.guestDir = guestDir

	args := r.scriptArgs()
	heal, drops := r.healArgs()
	args = append(args, heal...)
	// Whatever happens next, a temporary image the script reported and
	// nixpass did not rename into place is removed.
	defer r.removeTemp()

	return r.attempts(ctx, args, drops, progress)
}

func (b *Builder) storeGood(dir string) *store.GoodOutput {
	if b.Store == nil {
		return nil
	}
	return b.Store.IntactGood(dir)
}

// interrupted classifies err as a timeout or a cancellation when ctx ended.
func (r *run) interrupted(ctx context.Context, err error) error {
	if ctx.Err() == nil {
		return err
	}
	if errors.Is(context.Cause(ctx), ErrTimeout) {
		t := r.b.Timeout
		if t <= 0 {
			t = DefaultTimeout
		}
		return &builder.Error{Kind: builder.KindTimeout, Err: ErrTimeout,
			Message: fmt.Sprintf("the build did not finish within %s and was stopped", t),
			Hint:    "raise [builder] timeout in the config if the build is just slow, or see what it was doing: " + shq.Join("nixpass", "logs", r.p.Dir)}
	}
	return &builder.Error{Kind: builder.KindCancelled, Err: context.Canceled,
		Message: "the build was cancelled",
		Hint:    "nothing was changed: the last good image is untouched"}
}

// lock takes the builder lock, waiting for another build to finish. The
// returned lock may be nil (no LockPath); releasing nil is a no-op.
func (r *run) lock(ctx context.Context) (*store.Lock, error) {
	if r.b.LockPath == "" {
		return nil, nil
	}
	l, err := store.LockWait(ctx, r.b.LockPath, func() { r.waitingFor(r.b.LockPath) })
	if err != nil {
		return nil, fmt.Errorf("lock builder: %w", err)
	}
	_ = l.Claim(store.Holder{PID: os.Getpid(), Since: time.Now(), Command: selfCommand(), Project: r.p.Dir})
	return l, nil
}

func newToken() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// validate rejects requests the script would misread.
func validate(p builder.Project) error {
	bad := func(format string, a ...any) error {
		return &builder.Error{Kind: builder.KindConfig, Message: fmt.Sprintf(format, a...), Hint: "fix the project's settings in the config (nixpass list shows them)"}
	}
	switch {
	case !filepath.IsAbs(p.Dir):
		return bad("project folder %q is not an absolute path", p.Dir)
	case p.Output == "" || strings.ContainsRune(p.Output, '/') || p.Output == "." || p.Output == "..":
		return bad("output %q must be a plain file name inside the project folder", p.Output)
	case p.Flake == "" && p.File == "":
		return bad("project %s has neither a Nix file nor a flake", p.Dir)
	case p.Flake != "" && len(p.Args) > 0:
		return bad("--arg/--argstr do not apply to flake builds")
	case len(p.Args)%3 != 0:
		return bad("args must be --arg/--argstr NAME VALUE triples")
	}
	for i := 0; i < len(p.Args); i += 3 {
		if p.Args[i] != "--arg" && p.Args[i] != "--argstr" {
			return bad("args: %q is not --arg or --argstr", p.Args[i])
		}
	}
	return nil
}
