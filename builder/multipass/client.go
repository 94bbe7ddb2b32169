// Package multipass drives Multipass through its CLI, and only its CLI,
// following the contract in shared/multipass-cli.md: typed decoding of its
// JSON, and its exit codes and messages classified into sentinel errors
// that carry a remedy (see Hint).
//
// It may import runner, shq and tools; machine/vm and core import it.
package multipass

import (
	"context"
	"strings"

	"nixpass/builder/runner"
)

// Client runs the multipass CLI. The zero value runs "multipass" from PATH
// with runner.Exec.
type Client struct {
	// Bin is the CLI's path or name; "" means "multipass".
	Bin string
	// Runner runs it; nil means runner.Exec.
	Runner runner.Runner
}

func (c *Client) bin() string {
	if c.Bin == "" {
		return "multipass"
	}
	return c.Bin
}

// run runs `multipass ARGS...` for op about instance and classifies its
// failure. A command stopped by ctx is reported with ctx's cause, not
// classified: its exit status and output mean nothing then.
func (c *Client) run(ctx context.Context, op, instance string, cmd runner.Cmd) (*runner.Result, error) {
	cmd.Name = c.bin()
	rn := c.Runner
	if rn == nil {
		rn = runner.Exec{}
	}
	res, err := rn.Run(ctx, cmd)
	if err != nil && ctx.Err() != nil {
		if op == "exec" {
			// The runner's error wraps both the cause and the status.
			return res, err
		}
		cause := context.Cause(ctx)
		return res, &Error{Op: op, Instance: instance, Code: -1, Message: cause.Error(), Err: cause}
	}
	return res, classify(op, instance, err)
}

// simple runs a verb whose output nixpass does not read.
func (c *Client) simple(ctx context.Context, op, instance string, args ...string) error {
	_, err := c.run(ctx, op, instance, runner.Cmd{Args: append([]string{op}, args...)})
	return err
}

// Version reports the versions of the CLI and of the daemon. Daemon is
// empty, and err nil, when the CLI runs but the daemon cannot be reached.
func (c *Client) Version(ctx context.Context) (Version, error) {
	res, err := c.run(ctx, "version", "", runner.Cmd{Args: []string{"version", "--format", "json"}})
	if err != nil {
		return Version{}, err
	}
	return decodeVersion(res.Stdout)
}

// Info describes the instance name; ErrInstanceMissing when there is none.
func (c *Client) Info(ctx context.Context, name string) (*Instance, error) {
	res, err := c.run(ctx, "info", name, runner.Cmd{Args: []string{"info", name, "--format", "json"}})
	if err != nil {
		return nil, err
	}
	return decodeInfo(res.Stdout, name)
}

// List lists every instance, deleted ones included.
func (c *Client) List(ctx context.Context) ([]ListItem, error) {
	res, err := c.run(ctx, "list", "", runner.Cmd{Args: []string{"list", "--format", "json"}})
	if err != nil {
		return nil, err
	}
	return decodeList(res.Stdout)
}

// Start starts a stopped or suspended instance; starting a running one
// succeeds.
func (c *Client) Start(ctx context.Context, name string) error {
	return c.simple(ctx, "start", name, name)
}

// Stop stops an instance; force powers it off without a clean shutdown.
// Stopping a stopped instance succeeds.
func (c *Client) Stop(ctx context.Context, name string, force bool) error {
	if force {
		return c.simple(ctx, "stop", name, "--force", name)
	}
	return c.simple(ctx, "stop", name, name)
}

// Delete deletes an instance; without purge it stays recoverable (state
// Deleted) and keeps its name taken.
func (c *Client) Delete(ctx context.Context, name string, purge bool) error {
	if purge {
		return c.simple(ctx, "delete", name, "--purge", name)
	}
	return c.simple(ctx, "delete", name, name)
}

// Recover brings back a deleted, unpurged instance, stopped.
func (c *Client) Recover(ctx context.Context, name string) error {
	return c.simple(ctx, "recover", name, name)
}

// Mount mounts the host folder source at target inside the instance. The
// target is always given: its default changed between releases.
func (c *Client) Mount(ctx context.Context, source, name, target string) error {
	return c.simple(ctx, "mount", name, source, name+":"+target)
}

// Umount removes the mount at target inside the instance.
func (c *Client) Umount(ctx context.Context, name, target string) error {
	return c.simple(ctx, "umount", name, name+":"+target)
}

// Transfer copies the file src to dst over SFTP; the caller writes an
// instance path as NAME:PATH, e.g. "builder:/tmp/x".
func (c *Client) Transfer(ctx context.Context, src, dst string) error {
	inst := ""
	for _, p := range []string{src, dst} {
		if name, _, ok := instancePath(p); ok {
			inst = name
		}
	}
	return c.simple(ctx, "transfer", inst, src, dst)
}

// instancePath splits NAME:PATH; a host path has a slash (or nothing)
// before its first colon.
func instancePath(p string) (name, rest string, ok bool) {
	name, rest, ok = strings.Cut(p, ":")
	if !ok || name == "" || strings.ContainsRune(name, '/') {
		return "", p, false
	}
	return name, rest, true
}

// Get reads a setting such as local.NAME.memory, as Multipass prints it
// (sizes are human-readable, like "8.0GiB").
func (c *Client) Get(ctx context.Context, key string) (string, error) {
	res, err := c.run(ctx, "get", settingInstance(key), runner.Cmd{Args: []string{"get", key}})
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(res.Stdout)), nil
}

// Set changes a setting such as local.NAME.memory to value; instance
// settings change only on a stopped instance (ErrMustBeStopped).
func (c *Client) Set(ctx context.Context, key, value string) error {
	return c.simple(ctx, "set", settingInstance(key), key+"="+value)
}

// settingInstance is the NAME of a local.NAME.PROPERTY key, or "".
func settingInstance(key string) string {
	rest, ok := strings.CutPrefix(key, "local.")
	if !ok {
		return ""
	}
	if i := strings.LastIndexByte(rest, '.'); i > 0 {
		return rest[:i]
	}
	return ""
}
