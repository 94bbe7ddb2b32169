// Package docker loads images into a Docker engine through its CLI
// (docker.CLI), classifies docker's errors with a remedy for this OS, and
// reads the tag and platform of an image archive (ReadImageMeta).
//
// It may import builder (the root), runner and shq.
package docker

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"nixpass/builder"
	"nixpass/builder/lazyre"
	"nixpass/builder/runner"
	"nixpass/builder/shq"
)

// DefaultLoadTimeout bounds one `docker load` when the config says
// nothing: loading an image of a few hundred MB takes seconds, so minutes
// mean the engine is hung, and a hung engine must not hold the build (and
// the builder lock) until the build timeout.
const DefaultLoadTimeout = 5 * time.Minute

// errLoadTimeout is the cause of a load context that ran out of time.
var errLoadTimeout = errors.New("docker load timed out")

// CLI loads images into a Docker engine through its CLI, as the user
// would in a terminal: the CLI reads DOCKER_HOST, DOCKER_CONTEXT and its
// own config from the environment nixpass passes through unchanged, so it
// talks to the engine the user's `docker` talks to.
type CLI struct {
	// Command is the docker CLI, a name (found by tools.Finder: PATH, then
	// the OS's install folders) or a path; empty means "docker".
	Command string
	// LoadTimeout bounds one load with its checks before and after; zero
	// means DefaultLoadTimeout.
	LoadTimeout time.Duration
	// Runner runs the CLI; nil means runner.Exec.
	Runner runner.Runner
	// Log receives a line for each step worth keeping in the build log,
	// such as a previous image removed; nil discards them.
	Log func(string)
}

// Load loads the docker-archive at path (gzipped or not) and returns what
// docker reported loading: NAME:TAG, or the image ID of an archive without
// tags. tag is the name:tag the archive's manifest gives, or "" if
// unknown. The image that held that tag before is removed when the load
// left it without any tag and no container (running or not) uses it, so
// rebuilding leaves no dangling image behind. A failed load is an *Error
// of KindDocker saying what docker said and what to do; when ctx itself
// ends, its cause is returned (wrapped) instead, for the caller to report.
func (d *CLI) Load(ctx context.Context, path, tag string) (string, error) {
	loaded, _, err := d.LoadID(ctx, path, tag)
	return loaded, err
}

// LoadID is Load that also returns the ID of the image loaded ("" when
// docker would not say), for Holds to check later.
func (d *CLI) LoadID(ctx context.Context, path, tag string) (loaded, id string, err error) {
	return d.load(ctx, []string{"load", "-i", path}, nil, tag, path)
}

// Holds reports whether ref names the image id in Docker now: one
// `docker image inspect`, so an up-to-date build need not load an image
// Docker already holds.
func (d *CLI) Holds(ctx context.Context, ref, id string) bool {
	if ref == "" || id == "" {
		return false
	}
	ctx, cancel := context.WithTimeoutCause(ctx, d.timeout(), errLoadTimeout)
	defer cancel()
	now, err := d.imageID(ctx, ref)
	return err == nil && now == id
}

// LoadStream loads a docker-archive read from r (as a streamed image's
// script writes it), with the same cleanup and errors as Load; the tag it
// replaces is taken from docker's own report.
func (d *CLI) LoadStream(ctx context.Context, r io.Reader) (loaded string, err error) {
	loaded, _, err = d.load(ctx, []string{"load"}, r, "", "")
	return loaded, err
}

// load runs one `docker load` and one `docker image inspect` of what it
// loaded (issue 19: not one before and one after). The image the name
// held before comes from docker's own report ("renaming the old one with
// ID …"), which every engine prints when a load moves a tag.
func (d *CLI) load(parent context.Context, args []string, stdin io.Reader, tag, path string) (string, string, error) {
	ctx, cancel := context.WithTimeoutCause(parent, d.timeout(), errLoadTimeout)
	defer cancel()
	res, err := d.run(ctx, runner.Cmd{Name: d.command(), Args: args, Stdin: stdin})
	if err != nil {
		if parent.Err() != nil {
			return "", "", fmt.Errorf("docker load: %w", err)
		}
		return "", "", d.loadError(ctx, err, path)
	}
	rep := parseLoadOutput(string(res.Stdout))
	if rep.loaded == "" {
		return "", "", &builder.Error{Kind: builder.KindDocker, Message: "docker load finished without saying what it loaded: " + lastLines(string(res.Stdout)+string(res.Stderr), 3),
			Hint: d.retryHint(path, "check the engine with: "+shq.Join(d.command(), "info"))}
	}
	id, _ := d.imageID(ctx, rep.loaded)
	if rep.replaced != "" && id != "" && id != rep.replaced {
		d.removeReplaced(ctx, rep.loaded, rep.replaced)
	}
	return rep.loaded, id, nil
}

// removeReplaced removes old, the image tag named before the load took
// the tag away, when nothing else names it and no container uses it.
// `docker image rm` without -f refuses anything still in use, so a race
// with a new container loses nothing.
func (d *CLI) removeReplaced(ctx context.Context, tag, old string) {
	tags, err := d.output(ctx, "image", "inspect", "--format", "{{len .RepoTags}}", old)
	if err != nil || tags != "0" {
		// Still tagged elsewhere (or gone): not dangling, not ours to remove.
		if err == nil {
			d.log("# docker: kept the previous image " + old + " of " + tag + ": other tags name it")
		}
		return
	}
	users, err := d.output(ctx, "ps", "-a", "--filter", "ancestor="+old, "-q")
	if err != nil {
		d.log("# docker: kept the previous image " + old + ": " + err.Error())
		return
	}
	if users != "" {
		d.log("# docker: kept the previous image " + old + " of " + tag + ": containers use it (" + strings.Join(strings.Fields(users), " ") + ")")
		return
	}
	if _, err := d.output(ctx, "image", "rm", old); err != nil {
		d.log("# docker: kept the previous image " + old + ": " + err.Error())
		return
	}
	d.log("# docker: removed the previous image " + old + " of " + tag)
}

// imageID is the ID of the image named ref.
func (d *CLI) imageID(ctx context.Context, ref string) (string, error) {
	return d.output(ctx, "image", "inspect", "--format", "{{.Id}}", ref)
}

func (d *CLI) output(ctx context.Context, args ...string) (string, error) {
	res, err := d.run(ctx, runner.Cmd{Name: d.command(), Args: args})
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(res.Stdout)), nil
}

func (d *CLI) run(ctx context.Context, c runner.Cmd) (*runner.Result, error) {
	rn := d.Runner
	if rn == nil {
		rn = runner.Exec{}
	}
	// docker load cleans up nothing of ours when stopped: no need to wait.
	c.Grace = time.Second
	return rn.Run(ctx, c)
}

func (d *CLI) command() string {
	if d.Command == "" {
		return "docker"
	}
	return d.Command
}

func (d *CLI) timeout() time.Duration {
	if d.LoadTimeout <= 0 {
		return DefaultLoadTimeout
	}
	return d.LoadTimeout
}

func (d *CLI) log(line string) {
	if d.Log != nil {
		d.Log(line)
	}
}

// loadReport is what `docker load` printed on stdout.
type loadReport struct {
	// loaded is the first NAME:TAG (or, untagged, image ID) loaded.
	loaded string
	// replaced is the ID of the image that held loaded's tag before,
	// from the engine's "renaming the old one" line.
	replaced string
}

var (
	reLoaded   = lazyre.New(`^Loaded image(?: ID)?: (\S+)\s*$`)
	reReplaced = lazyre.New(`^The image (\S+) already exists, renaming the old one with ID (\S+) to empty string`)
)

func parseLoadOutput(stdout string) loadReport {
	var rep loadReport
	replaced := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(stdout))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if m := reReplaced.FindStringSubmatch(line); m != nil {
			replaced[m[1]] = m[2]
		} else if m := reLoaded.FindStringSubmatch(line); m != nil && rep.loaded == "" {
			rep.loaded = m[1]
		}
	}
	rep.replaced = replaced[rep.loaded]
	return rep
}

// dockerCause is why a docker command failed, as far as its text says.
type dockerCause int

const (
	causeOther dockerCause = iota
	causeMissing
	causeDown
	causePermission
	causeContext
	causeBadImage
	causeDiskFull
	causeTimeout
)

// dockerRules map docker's own error texts to a cause, first match wins.
// Each is tested against texts captured from real clients and engines
// (testdata/docker).
var dockerRules = []struct {
	cause dockerCause
	re    *lazyre.Regexp
}{
	// Checked before "Cannot connect": a context that does not exist is
	// the user's setting, not a stopped engine.
	{causeContext, lazyre.New(`unable to resolve docker endpoint: context "[^"]*"`)},
	{causePermission, lazyre.New(`(?i)permission denied while trying to connect to the docker`)},
	// Docker up to 28: "Cannot connect to the Docker daemon at URL. Is the
	// docker daemon running?"; 29: "failed to connect to the docker API at URL; ...".
	{causeDown, lazyre.New(`Cannot connect to the Docker daemon|(?i)failed to connect to the docker API at`)},
	// Before the image rule: the engine says "Error processing tar file
	// (…): write …: no space left on device" when its disk fills.
	{causeDiskFull, lazyre.New(`(?i)no space left on device`)},
	// The engine could not read the archive: not a tar, a damaged gzip,
	// or a tar without docker's manifest.json/repositories.
	{causeBadImage, lazyre.New(`Error processing tar file|archive/tar: |/docker-import-\d+/repositories: no such file`)},
}

func dockerCauseOf(stderr string) dockerCause {
	for _, r := range dockerRules {
		if r.re.MatchString(stderr) {
			return r.cause
		}
	}
	return causeOther
}

// loadError turns a failed `docker load` into an *Error whose message is
// docker's own words and whose hint fits the cause and this OS.
func (d *CLI) loadError(ctx context.Context, err error, path string) *builder.Error {
	cmd := d.command()
	if errors.Is(err, runner.ErrNotFound) {
		return &builder.Error{Kind: builder.KindDocker, Err: err, Message: "docker is not installed here: " + err.Error(),
			Hint: d.retryHint(path, dockerHint(causeMissing, cmd))}
	}
	if errors.Is(context.Cause(ctx), errLoadTimeout) {
		return &builder.Error{Kind: builder.KindDocker, Err: err,
			Message: fmt.Sprintf("docker did not finish loading the image within %s and was stopped", d.timeout()),
			Hint:    d.retryHint(path, dockerHint(causeTimeout, cmd))}
	}
	said := err.Error()
	var xe *runner.ExitError
	if errors.As(err, &xe) && xe.Stderr != "" {
		said = lastLines(xe.Stderr, 3)
	}
	cause := dockerCauseOf(said)
	hint := dockerHint(cause, cmd)
	if env := dockerEnv(); cause == causeDown && env != "" {
		// The engine named may not be the system's: say which one first.
		hint = "docker was pointed at " + env + " (from nixpass's environment): start that engine or correct the setting; for the usual engine, " + hint
	}
	return &builder.Error{Kind: builder.KindDocker, Err: err, Message: "docker load: " + said, Hint: d.retryHint(path, hint)}
}

// retryHint adds how to load the kept image by hand.
func (d *CLI) retryHint(path, hint string) string {
	if path == "" {
		return hint
	}
	return hint + "; then build again, or load the image yourself: " + shq.Join(d.command(), "load", "-i", path)
}

// dockerEnv names the docker settings in nixpass's environment, which the
// CLI obeys.
func dockerEnv() string {
	var set []string
	for _, k := range []string{"DOCKER_HOST", "DOCKER_CONTEXT"} {
		if v := os.Getenv(k); v != "" {
			set = append(set, k+"="+v)
		}
	}
	return strings.Join(set, " ")
}

// dockerHint is what to do about cause on this OS.
func dockerHint(cause dockerCause, cmd string) string {
	switch cause {
	case causeMissing:
		return dockerMissingHint
	case causeDown:
		return dockerDownHint
	case causePermission:
		return dockerPermissionHint()
	case causeContext:
		return "the Docker context named is not defined: list them with " + shq.Join(cmd, "context", "ls") +
			", then pick one with " + shq.Join(cmd, "context", "use", "default") + " or fix DOCKER_CONTEXT"
	case causeBadImage:
		return "Docker cannot read the file as an image: check that the project builds a dockerTools image (buildImage, buildLayeredImage)"
	case causeDiskFull:
		return "the Docker engine's disk is full: see what uses it with " + shq.Join(cmd, "system", "df") +
			" and remove unused images with " + shq.Join(cmd, "image", "prune") + dockerDiskHint
	case causeTimeout:
		return "check that the engine answers (" + shq.Join(cmd, "info") + "); if the image is just very large, raise [docker] load_timeout in the config"
	}
	return "check the engine with " + shq.Join(cmd, "info")
}

// lastLines keeps an error text to its last n lines, on one line.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(strings.ReplaceAll(s, "\r", "")), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "; ")
}
