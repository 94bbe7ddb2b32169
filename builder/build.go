package builder

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"nixpass/builder/runner"
	"nixpass/builder/shq"
)

// Project is one build request: what to build and where the image goes.
// The project need not be registered.
type Project struct {
	// Dir is the project folder (absolute).
	Dir string
	// File is the Nix file, relative to Dir; used when Flake is empty.
	File string
	// Flake is a flake reference such as ".#image".
	Flake string
	// Attr selects an attribute of File (-A).
	Attr string
	// Args are extra "--arg NAME EXPR" / "--argstr NAME VALUE" triples.
	Args []string
	// Output is the image's file name inside Dir.
	Output string
	// DockerLoad loads the image into Docker after a successful build.
	DockerLoad bool
	// System is the Nix system to build for, "x86_64-linux" or
	// "aarch64-linux"; "" means the builder's own. A foreign system is
	// built through qemu-user emulation.
	System string
	// Mounts are more host folders (absolute) the build reads, such as a
	// monorepo's shared library: the VM mounts them at their own paths.
	Mounts []string
}

// Script exit statuses with a meaning of their own (see nixpass-build.sh).
const (
	exitUsage       = 65
	exitDirMissing  = 66
	exitNixMissing  = 69
	exitNotAFile    = 70
	exitCopyFailed  = 71
	exitDiskFull    = 72
	exitNoEmulation = 75
	exitCancelled   = 130
	maxLogKeepBytes = 2 << 20
)

// DefaultTimeout bounds a build when the config says nothing.
const DefaultTimeout = 2 * time.Hour

// Builder runs builds of projects on one Machine, one at a time across
// processes, and records their results.
type Builder struct {
	Machine Machine
	Store   *Store
	// LockPath is the file locked for the duration of a build, so the CLI
	// and a running app never build in the same VM at once.
	LockPath string
	// Timeout bounds each build; zero means DefaultTimeout.
	Timeout time.Duration
	// Runner runs host commands such as `docker load`; nil means runner.Exec.
	Runner runner.Runner
	// Docker loads images of projects with docker_load; nil means the
	// docker CLI with DefaultLoadTimeout, run by Runner.
	Docker *Docker
	// Emit receives the build's events; nil discards them.
	Emit func(Event)
	// DeployPlatform is the platform the user most likely runs images on
	// (on an Apple-silicon Mac, "linux/amd64": most servers), or "". A
	// project without a system whose image is for another platform gets
	// a warning, once, saying how to build for this one.
	DeployPlatform string
}

// ErrTimeout is the cause of a build context that ran out of time.
var ErrTimeout = errors.New("build timed out")

func (b *Builder) emit(e Event) {
	if b.Emit != nil {
		b.Emit(e)
	}
}

// run holds the state of one build while it runs.
type run struct {
	b       *Builder
	p       Project
	res     *Result
	log     *os.File
	mu      sync.Mutex
	nixLog  strings.Builder
	report  scriptReport
	builtOn builtOn
	phase   string
	started time.Time
	// token names this run's script invocation, its temporary file and
	// its running marker (see killed.go).
	token string
	// installed is set once the temporary file is renamed into place.
	installed bool
	// guestDir is the project folder as the builder sees it.
	guestDir string
	// marker is the running marker, nil without a Store.
	marker *heldLock
}

// scriptReport is what the script said on its "@nixpass" protocol lines.
type scriptReport struct {
	uptime    float64
	storePath string
	upToDate  bool
	temp      string
	copied    int64
	signal    int
	kmsg      []string
	errCode   string
	errMsg    string
	// oom is the OOM evidence the script could read (oomevidence.go).
	oom oomReport
}

// Build builds p and returns its result; it never returns nil. The result
// is also recorded in the Store and announced with a BuildFinished event.
func (b *Builder) Build(ctx context.Context, p Project) *Result {
	now := time.Now()
	r := &run{b: b, p: p, started: now, res: &Result{
		Project: p.Dir,
		Status:  StatusFailed,
		Output:  filepath.Join(p.Dir, p.Output),
		Started: now,
		Reason:  ReasonOf(ctx),
	}}
	good := r.execute(ctx)
	res := r.res
	res.Finished = time.Now()
	res.DurationMS = res.Finished.Sub(res.Started).Milliseconds()
	if res.Kind == "" {
		res.Kind = KindOK
	}
	res.Message, res.Hint, res.Warning = cleanText(res.Message), cleanText(res.Hint), cleanText(res.Warning)
	if r.log != nil {
		fmt.Fprintf(r.log, "\n# nixpass: %s (%s) %s\n", res.Status, res.Kind, res.Message)
		if res.Hint != "" {
			fmt.Fprintf(r.log, "# hint: %s\n", res.Hint)
		}
		r.log.Close()
	}
	if b.Store != nil {
		if err := b.Store.record(res, good); err != nil && res.Warning == "" {
			res.Warning = err.Error()
		}
		b.Store.endBuild(r.token, r.marker)
	}
	b.emit(BuildFinished{At: At{time.Now()}, Result: *res})
	return res
}

func (r *run) fail(err error) *goodOutput {
	var be *Error
	if !errors.As(err, &be) {
		be = &Error{Kind: KindBuild, Message: err.Error()}
	}
	r.res.Status = StatusFailed
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
	r.mu.Unlock()
	r.b.emit(BuildPhase{At: At{time.Now()}, Project: r.p.Dir, Phase: ph})
}

func (r *run) execute(parent context.Context) *goodOutput {
	p, b := r.p, r.b
	if err := validate(p); err != nil {
		return r.fail(err)
	}
	token := newToken()
	r.token = token
	if b.Store != nil {
		b.Store.SweepKilled()
		f, err := b.Store.newLog(p.Dir, r.started)
		if err != nil {
			return r.fail(&Error{Kind: KindConfig, Message: err.Error(), Hint: "check that the log folder " + b.Store.LogDir + " is writable", Err: err})
		}
		r.log = f
		r.res.Log = f.Name()
		// The marker outlives a killed nixpass, so the next one can
		// close this build's log and record it as killed.
		m := runningMarker{Token: token, Project: p.Dir, Output: r.res.Output, Log: r.res.Log, Started: r.started, PID: os.Getpid()}
		if ml, err := b.Store.beginBuild(m); err == nil {
			r.marker = ml
		}
	}
	b.emit(BuildStarted{At: At{r.started}, Project: p.Dir, Log: r.res.Log})

	timeout := b.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeoutCause(parent, timeout, ErrTimeout)
	defer cancel()

	held, err := r.lock(ctx)
	if err != nil {
		return r.fail(r.interrupted(ctx, err))
	}
	defer held.release()
	var files []*os.File
	for _, l := range []*heldLock{held, r.marker} {
		if l != nil {
			files = append(files, l.File())
		}
	}
	ctx = withBuildLocks(ctx, files...)

	r.setPhase("preparing")
	// Preparing can take minutes (a first VM creation downloads an image
	// and installs Nix): each step goes to the log and, as the phase's
	// detail, to the CLI's stderr and the menu.
	progress := func(msg string) {
		r.logLine("# " + msg)
		b.emit(BuildPhase{At: At{time.Now()}, Project: p.Dir, Phase: "preparing", Detail: msg})
	}
	var guestDir string
	if pp, ok := b.Machine.(projectPreparer); ok {
		guestDir, err = pp.PrepareProject(ctx, p, progress)
	} else {
		guestDir, err = b.Machine.Prepare(ctx, p.Dir, progress)
	}
	if err != nil {
		return r.fail(r.interrupted(ctx, err))
	}
	removeStaleTemps(p.Dir, p.Output)
	r.guestDir = guestDir

	args := []string{"build", "--token", token, "--dir", guestDir, "--output", p.Output}
	if b.Store != nil {
		if g := b.Store.intactGood(p.Dir); g != nil && g.Output == r.res.Output {
			args = append(args, "--last", g.StorePath)
		}
	}
	if p.Flake != "" {
		args = append(args, "--flake", p.Flake)
	} else {
		args = append(args, "--file", p.File)
		if p.Attr != "" {
			args = append(args, "--attr", p.Attr)
		}
	}
	for _, a := range p.Args {
		args = append(args, "--nix-arg", a)
	}
	if m, ok := b.Machine.(nixOptioner); ok {
		for _, o := range m.nixOptions() {
			args = append(args, "--nix-option", o.name, o.value)
		}
	}
	if p.System != "" {
		args = append(args, "--system", p.System)
	}
	// Whatever happens next, a temporary image the script reported and
	// nixpass did not rename into place is removed.
	defer r.removeTemp()

	code, runErr := r.runScript(ctx, token, args)
	if code == exitNoEmulation && runErr == nil && ctx.Err() == nil {
		if es, ok := b.Machine.(emulationSetup); ok {
			r.setPhase("preparing")
			if err := es.SetupEmulation(ctx, p.System, progress); err != nil {
				return r.fail(r.interrupted(ctx, err))
			}
			r.resetReport()
			code, runErr = r.runScript(ctx, token, args)
		}
	}

	if ctx.Err() != nil {
		return r.fail(r.interrupted(ctx, ctx.Err()))
	}
	if runErr != nil {
		return r.fail(runErr)
	}
	if code != 0 {
		return r.fail(r.classify(ctx, code))
	}
	return r.succeed(ctx)
}

func (b *Builder) storeGood(dir string) *goodOutput {
	if b.Store == nil {
		return nil
	}
	return b.Store.intactGood(dir)
}

// projectPreparer is implemented by machines whose preparation depends on
// more of the project than its folder (the VM mounts p.Mounts too).
type projectPreparer interface {
	PrepareProject(ctx context.Context, p Project, progress func(string)) (guestDir string, err error)
}

// emulationSetup is implemented by machines that can set up emulation of
// a foreign system themselves when the script reports it missing.
type emulationSetup interface {
	SetupEmulation(ctx context.Context, system string, progress func(string)) error
}

func (r *run) runScript(ctx context.Context, token string, args []string) (int, error) {
	stdout := &lineWriter{fn: r.protocolLine}
	stderr := &lineWriter{fn: r.nixLine}
	code, err := r.b.Machine.RunScript(ctx, token, args, stdout, stderr)
	stdout.flush()
	stderr.flush()
	return code, err
}

func (r *run) resetReport() {
	r.mu.Lock()
	r.report = scriptReport{}
	r.nixLog.Reset()
	r.mu.Unlock()
}

// tempPrefix is how the script names its temporary image in the project
// folder: "." + output + ".nixpass-tmp." + token.
func tempPrefix(output string) string { return "." + output + ".nixpass-tmp." }

// tempPath is the host path of the temporary image once the script has
// reported it written, or "". The name is computed here, not read from
// the report, so no output name (a newline in it, say) can make nixpass
// rename another file.
func (r *run) tempPath() string {
	r.mu.Lock()
	reported := r.report.temp != ""
	r.mu.Unlock()
	if !reported || r.token == "" {
		return ""
	}
	return filepath.Join(r.p.Dir, tempPrefix(r.p.Output)+r.token)
}

// removeTemp removes this run's temporary image unless it was renamed
// into place: reported or not, for a VM that died mid-copy never ran the
// script's own clean-up.
func (r *run) removeTemp() {
	r.mu.Lock()
	installed := r.installed
	r.mu.Unlock()
	if r.token != "" && !installed {
		_ = os.Remove(filepath.Join(r.p.Dir, tempPrefix(r.p.Output)+r.token))
	}
}

// removeStaleTemps removes temporary images an earlier build left behind
// when its nixpass died between the copy and the rename. The builder lock
// is held, so none of them belongs to a running build.
func removeStaleTemps(dir, output string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), tempPrefix(output)) && e.Type().IsRegular() {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// install checks the temporary image the script wrote and renames it over
// the output on the host, where rename is atomic on every file system
// nixpass supports; the builder never replaces the output itself.
func (r *run) install(ctx context.Context) (imageMeta, error) {
	tmp := r.tempPath()
	if tmp == "" {
		return imageMeta{}, &Error{Kind: KindBuild,
			Message: "the build script reported success but no image file",
			Hint:    "this is a nixpass bug: please report it with the log " + r.res.Log}
	}
	meta, err := readImageMeta(tmp)
	if err != nil {
		r.mu.Lock()
		what := "the build's output " + r.report.storePath
		if r.phase == "streaming" {
			what = "the stream of " + r.report.storePath
		}
		r.mu.Unlock()
		return imageMeta{}, &Error{Kind: KindBuild, Err: err,
			Message: fmt.Sprintf("%s is not a Docker image archive: %v", what, err),
			Hint:    "point the project at a dockerTools image (buildImage, buildLayeredImage or streamLayeredImage); the last good image is untouched"}
	}
	if ctx.Err() != nil {
		return imageMeta{}, r.interrupted(ctx, ctx.Err())
	}
	if err := os.Rename(tmp, r.res.Output); err != nil {
		return imageMeta{}, &Error{Kind: KindBuild, Err: err,
			Message: "put the image in place: " + err.Error(),
			Hint:    "check that the project folder is writable; the last good image is untouched"}
	}
	r.mu.Lock()
	r.installed = true
	r.mu.Unlock()
	return meta, nil
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
		return &Error{Kind: KindTimeout, Err: ErrTimeout,
			Message: fmt.Sprintf("the build did not finish within %s and was stopped", t),
			Hint:    "raise [builder] timeout in the config if the build is just slow, or see what it was doing: " + shq.Join("nixpass", "logs", r.p.Dir)}
	}
	return &Error{Kind: KindCancelled, Err: context.Canceled,
		Message: "the build was cancelled",
		Hint:    "nothing was changed: the last good image is untouched"}
}

// lock takes the builder lock, waiting for another build to finish. The
// returned lock may be nil (no LockPath); releasing nil is a no-op.
func (r *run) lock(ctx context.Context) (*heldLock, error) {
	if r.b.LockPath == "" {
		return nil, nil
	}
	l, err := lockWait(ctx, r.b.LockPath, func() {
		r.setPhase("waiting")
		r.logLine("# waiting for another nixpass build on this builder to finish")
	})
	if err != nil {
		return nil, fmt.Errorf("lock builder: %w", err)
	}
	return l, nil
}

func (r *run) logLine(line string) {
	if r.log != nil {
		r.mu.Lock()
		r.log.WriteString(line + "\n")
		r.mu.Unlock()
	}
}

// nixLine handles one line of Nix's log.
func (r *run) nixLine(line string) {
	r.logLine(line)
	r.mu.Lock()
	r.nixLog.WriteString(line)
	r.nixLog.WriteByte('\n')
	r.builtOn.line(line)
	if r.nixLog.Len() > 2*maxLogKeepBytes {
		// Keep the tail: the error is at the end of the log.
		s := r.nixLog.String()
		r.nixLog.Reset()
		r.nixLog.WriteString(s[len(s)-maxLogKeepBytes:])
	}
	r.mu.Unlock()
	if reBuilding.MatchString(line) || strings.Contains(line, " will be built:") {
		r.setPhase("building")
	}
	r.b.emit(BuildLog{At: At{time.Now()}, Project: r.p.Dir, Line: cleanText(line)})
}

// protocolLine handles one "@nixpass" line of the script's stdout.
func (r *run) protocolLine(line string) {
	rest, ok := strings.CutPrefix(line, "@nixpass ")
	if !ok {
		r.logLine(line)
		return
	}
	key, val, _ := strings.Cut(rest, " ")
	r.mu.Lock()
	rep := &r.report
	switch key {
	case "uptime":
		rep.uptime, _ = strconv.ParseFloat(val, 64)
	case "store-path":
		rep.storePath = val
	case "up-to-date":
		rep.upToDate = true
	case "temp":
		rep.temp = val
	case "copied":
		rep.copied, _ = strconv.ParseInt(val, 10, 64)
	case "signal":
		rep.signal, _ = strconv.Atoi(val)
	case "kmsg":
		rep.kmsg = append(rep.kmsg, val)
	case "error":
		rep.errCode, rep.errMsg, _ = strings.Cut(val, " ")
	case "oom-count", "mem-limit", "mem-total", "kmsg-read":
		rep.oom.line(key, val)
	}
	r.mu.Unlock()
	switch key {
	case "phase":
		r.setPhase(val)
	case "kmsg", "error", "store-path", "oom-count", "mem-limit", "kmsg-read", "nix-json":
		r.logLine("# " + rest)
	}
}

func (r *run) succeed(ctx context.Context) *goodOutput {
	res, rep := r.res, r.report
	res.Status = StatusSucceeded
	res.Kind = KindOK
	res.StorePath = rep.storePath
	res.UpToDate = rep.upToDate
	r.mu.Lock()
	res.BuiltOn = r.builtOn.machine()
	nixLog := r.nixLog.String()
	r.mu.Unlock()
	fallback := fallbackWarning(nixLog, res.BuiltOn)
	var meta imageMeta
	var metaErr error
	if rep.upToDate {
		// The file is the one nixpass wrote (the script was told so only
		// then): what it read from it then still holds, without reading a
		// large image again.
		if g := r.b.storeGood(r.p.Dir); g != nil && g.StorePath == rep.storePath && g.Platform != "" {
			meta = imageMeta{Tag: g.Image, Platform: g.Platform}
		} else {
			meta, metaErr = readImageMeta(res.Output)
		}
	} else {
		m, err := r.install(ctx)
		if err != nil {
			res.Status = StatusFailed
			return r.fail(err)
		}
		meta = m
	}
	st, err := os.Stat(res.Output)
	if err != nil {
		// The script wrote it inside the builder; if the host cannot see it
		// the mount is not what we think it is.
		return r.fail(&Error{Kind: KindBuild, Err: err,
			Message: fmt.Sprintf("the image was copied on the builder but %s is not visible here", res.Output),
			Hint:    "check the builder's mount of the project folder: nixpass vm status"})
	}
	res.Bytes = st.Size()
	res.Image, res.Platform = meta.Tag, meta.Platform
	if metaErr != nil {
		res.Warning = metaErr.Error()
	}
	r.platformWarning()
	if res.UpToDate {
		res.Message = "up to date: " + filepath.Base(res.Output) + " already holds " + rep.storePath
	} else {
		res.Message = fmt.Sprintf("built %s (%s)", filepath.Base(res.Output), HumanBytes(res.Bytes))
	}
	if fallback != "" {
		res.Warning = strings.TrimPrefix(res.Warning+"; "+fallback, "; ")
	}
	good := &goodOutput{StorePath: rep.storePath, Output: res.Output, Size: st.Size(), ModTime: st.ModTime(), Image: res.Image, Platform: res.Platform}
	if r.p.DockerLoad {
		r.setPhase("loading")
		r.loadIntoDocker(ctx, good)
	}
	return good
}

// HumanBytes formats a size the way Finder does (decimal units).
func HumanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	v := float64(n) / float64(div)
	if v >= 100 {
		return fmt.Sprintf("%.0f %cB", v, "kMGTPE"[exp])
	}
	return fmt.Sprintf("%.1f %cB", v, "kMGTPE"[exp])
}

func newToken() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// validate rejects requests the script would misread.
func validate(p Project) error {
	bad := func(format string, a ...any) error {
		return &Error{Kind: KindConfig, Message: fmt.Sprintf(format, a...), Hint: "fix the project's settings in the config (nixpass list shows them)"}
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

// HumanGiB formats a memory size in GiB, the unit Multipass sizes use.
func HumanGiB(n int64) string {
	g := float64(n) / (1 << 30)
	if g == float64(int64(g)) {
		return fmt.Sprintf("%d GiB", int64(g))
	}
	return fmt.Sprintf("%.1f GiB", g)
}
