package cache

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"nixpass/builder"
	"nixpass/builder/lazyre"
	"nixpass/builder/runner"
)

// nixCommand turns on `nix copy` and `nix store sign` on Nix 2.8, where
// they are experimental; newer Nix accepts the flag as it is.
var nixCommand = []string{"--extra-experimental-features", "nix-command"}

// Upload signs closures with a secret key and copies them to a store.
type Upload struct {
	// URL is [cache] upload, as the user wrote it.
	URL string
	// SecretKeyFile is [cache] secret_key_file. Only its path ever
	// reaches a command line.
	SecretKeyFile string
	// Runner runs nix where the closure is: this host, or the VM.
	Runner runner.Runner
	// Nix is the nix command (default "nix").
	Nix string
	// NixStore is the nix-store command (default "nix-store").
	NixStore string
	// Env is added to nix's environment, such as NIX_SSHOPTS for ssh
	// stores.
	Env []string
}

// Target is the URL nix copy is given: URL with secret-key (for binary
// caches, which sign what they write) and compression=zstd (for file,
// HTTP and S3 caches: Nix's default xz took 44 s for a 50 MB closure,
// zstd 0.5 s) unless the URL sets them itself.
func (up Upload) Target() (string, error) {
	if !binaryCache(up.URL) {
		return up.URL, nil
	}
	u, err := url.Parse(up.URL)
	if err != nil {
		return "", fmt.Errorf("cache upload URL %s: %w", PublicURL(up.URL), err)
	}
	q := u.Query()
	if !q.Has("secret-key") {
		q.Set("secret-key", up.SecretKeyFile)
	}
	if !q.Has("compression") {
		q.Set("compression", "zstd")
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// Run uploads the closures of paths, signed, unless record shows every
// one of them uploaded to this URL already (then nothing runs at all).
// On success it adds paths to record; the report says what was copied.
// A failure is a *builder.Error of kind cache, and the report carries
// its message too.
func (up Upload) Run(ctx context.Context, paths []string, record *Record) (*Report, error) {
	rep := &Report{URL: PublicURL(up.URL)}
	if record.Has(up.URL, paths) {
		return rep, nil
	}
	start := time.Now()
	defer func() { rep.DurationMS = time.Since(start).Milliseconds() }()
	copied, err := up.copy(ctx, paths)
	if err != nil {
		rep.Error = err.Error()
		return rep, err
	}
	rep.Paths = len(copied)
	if rep.Bytes, err = up.size(ctx, copied); err != nil {
		// The upload worked; only its figure is missing.
		rep.Bytes = 0
	}
	record.Add(up.URL, paths)
	return rep, nil
}

// copy signs (for stores that do not sign themselves) and copies the
// closures of paths, returning the paths Nix said it copied.
func (up Upload) copy(ctx context.Context, paths []string) ([]string, error) {
	nix := up.Nix
	if nix == "" {
		nix = "nix"
	}
	if !binaryCache(up.URL) {
		// ssh:// and ssh-ng:// stores keep the signatures the paths carry:
		// sign them here first, by key file.
		args := append(append(slices.Clone(nixCommand), "store", "sign", "--key-file", up.SecretKeyFile, "--recursive", "--"), paths...)
		if res, err := up.Runner.Run(ctx, runner.Cmd{Name: nix, Args: args, Env: up.Env}); err != nil {
			return nil, up.failed(ctx, res, err)
		}
	}
	target, err := up.Target()
	if err != nil {
		return nil, &builder.Error{Kind: builder.KindCache, Err: err, Message: err.Error(),
			Hint: "write [cache] upload as a store URL such as file:///srv/cache or https://cache.example.com"}
	}
	args := append(append(slices.Clone(nixCommand), "copy", "--to", target, "--"), paths...)
	res, err := up.Runner.Run(ctx, runner.Cmd{Name: nix, Args: args, Env: up.Env})
	if err != nil {
		return nil, up.failed(ctx, res, err)
	}
	return copiedPaths(res.Stderr), nil
}

func (up Upload) failed(ctx context.Context, res *runner.Result, err error) error {
	if ctx.Err() != nil {
		return &builder.Error{Kind: builder.KindCancelled, Err: err, Message: "upload to " + PublicURL(up.URL) + " cancelled",
			Hint: "the next build uploads again"}
	}
	out := ""
	if res != nil {
		out = string(res.Stderr) + string(res.Stdout)
	}
	if errors.Is(err, runner.ErrNotFound) {
		out = err.Error()
	}
	return Classify(up.URL, redact(out, up.SecretKeyFile), err)
}

// redact hides the key file's path where Nix echoes the URL back.
func redact(out, keyFile string) string {
	if keyFile == "" {
		return out
	}
	return strings.ReplaceAll(out, keyFile, "SECRET_KEY_FILE")
}

// copyLine is what Nix 2.8 to 2.34 print for each path nix copy sends.
var copyLine = lazyre.New(`copying path '(/[^']+)' to '`)

func copiedPaths(stderr []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(stderr))
	for sc.Scan() {
		if m := copyLine.FindStringSubmatch(sc.Text()); m != nil {
			out = append(out, m[1])
		}
	}
	return out
}

// size is the NAR size of paths, from the store that holds them.
func (up Upload) size(ctx context.Context, paths []string) (int64, error) {
	if len(paths) == 0 {
		return 0, nil
	}
	ns := up.NixStore
	if ns == "" {
		ns = "nix-store"
	}
	res, err := up.Runner.Run(ctx, runner.Cmd{Name: ns, Args: append([]string{"--query", "--size", "--"}, paths...)})
	if err != nil {
		return 0, err
	}
	var total int64
	for _, f := range strings.Fields(string(res.Stdout)) {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("nix-store --query --size: %q is not a size", f)
		}
		total += n
	}
	return total, nil
}

// SignFirst reports whether the store at URL keeps the signatures paths
// carry (ssh://, ssh-ng://), so they are signed in the store before the
// copy; binary caches sign what they write with secret-key.
func (up Upload) SignFirst() bool { return !binaryCache(up.URL) }
