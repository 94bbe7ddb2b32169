// Package multipass drives the multipass CLI, and only its CLI, following
// the contract in shared/multipass-cli.md: typed JSON decoding, exit codes
// and messages classified into sentinel errors with remedies.
package multipass

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"nixpass/builder/runner"
)

// Client runs the multipass CLI.
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

func (c *Client) run(ctx context.Context, op, instance string, cmd runner.Cmd) (*runner.Result, error) {
	cmd.Name = c.bin()
	rn := c.Runner
	if rn == nil {
		rn = runner.Exec{}
	}
	res, err := rn.Run(ctx, cmd)
	return res, classify(op, instance, err)
}

func (c *Client) simple(ctx context.Context, op, instance string, args ...string) error {
	_, err := c.run(ctx, op, instance, runner.Cmd{Args: append([]string{op}, args...)})
	return err
}

// Version reports the client's and the daemon's versions; Daemon is empty
// when the daemon cannot be reached.
func (c *Client) Version(ctx context.Context) (Version, error) {
	var v Version
	res, err := c.run(ctx, "version", "", runner.Cmd{Args: []string{"version", "--format", "json"}})
	if err != nil {
		return v, err
	}
	if err := json.Unmarshal(res.Stdout, &v); err != nil {
		return v, fmt.Errorf("multipass version: decode: %w", err)
	}
	return v, nil
}

// Info describes one instance.
func (c *Client) Info(ctx context.Context, name string) (*Instance, error) {
	res, err := c.run(ctx, "info", name, runner.Cmd{Args: []string{"info", name, "--format", "json"}})
	if err != nil {
		return nil, err
	}
	return decodeInfo(res.Stdout, name)
}

// List lists every instance.
func (c *Client) List(ctx context.Context) ([]ListItem, error) {
	res, err := c.run(ctx, "list", "", runner.Cmd{Args: []string{"list", "--format", "json"}})
	if err != nil {
		return nil, err
	}
	var l struct {
		List []ListItem `json:"list"`
	}
	if err := json.Unmarshal(res.Stdout, &l); err != nil {
		return nil, fmt.Errorf("multipass list: decode: %w", err)
	}
	return l.List, nil
}

// LaunchOptions are the flags of `multipass launch`.
type LaunchOptions struct {
	Name, Image  string
	CPUs         int
	Memory, Disk string
	// CloudInit is the path of a cloud-init user-data file.
	CloudInit string
	// Timeout bounds the launch, cloud-init included.
	Timeout time.Duration
	// Stdout and Stderr receive the CLI's progress.
	Stdout, Stderr io.Writer
}

// Launch creates and starts an instance.
func (c *Client) Launch(ctx context.Context, o LaunchOptions) error {
	args := []string{"launch"}
	if o.Image != "" {
		args = append(args, o.Image)
	}
	if o.Name != "" {
		args = append(args, "--name", o.Name)
	}
	if o.CPUs > 0 {
		args = append(args, "--cpus", strconv.Itoa(o.CPUs))
	}
	if o.Memory != "" {
		args = append(args, "--memory", o.Memory)
	}
	if o.Disk != "" {
		args = append(args, "--disk", o.Disk)
	}
	if o.CloudInit != "" {
		args = append(args, "--cloud-init", o.CloudInit)
	}
	if o.Timeout > 0 {
		args = append(args, "--timeout", strconv.Itoa(int(o.Timeout.Seconds())))
	}
	_, err := c.run(ctx, "launch", o.Name, runner.Cmd{Args: args, Stdout: o.Stdout, Stderr: o.Stderr})
	return err
}

// Start starts an instance.
func (c *Client) Start(ctx context.Context, name string) error {
	return c.simple(ctx, "start", name, name)
}

// Stop stops an instance; force powers it off.
func (c *Client) Stop(ctx context.Context, name string, force bool) error {
	if force {
		return c.simple(ctx, "stop", name, "--force", name)
	}
	return c.simple(ctx, "stop", name, name)
}

// Delete deletes an instance; purge removes it for good.
func (c *Client) Delete(ctx context.Context, name string, purge bool) error {
	if purge {
		return c.simple(ctx, "delete", name, "--purge", name)
	}
	return c.simple(ctx, "delete", name, name)
}

// Recover brings back a deleted, unpurged instance.
func (c *Client) Recover(ctx context.Context, name string) error {
	return c.simple(ctx, "recover", name, name)
}

// Mount mounts the host folder source at target inside the instance. The
// target is always explicit: its default changed between releases.
func (c *Client) Mount(ctx context.Context, source, name, target string) error {
	return c.simple(ctx, "mount", name, source, name+":"+target)
}

// Umount removes the mount at target.
func (c *Client) Umount(ctx context.Context, name, target string) error {
	return c.simple(ctx, "umount", name, name+":"+target)
}

// ExecOptions are the options of `multipass exec`.
type ExecOptions struct {
	// Args is the command and its arguments; each survives as one argv
	// element inside the instance.
	Args []string
	// Dir is the working directory inside the instance; "" disables the
	// client's mapping of the host's working directory (-n).
	Dir            string
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// Exec runs a command in the instance. A non-zero status of the command
// itself comes back as *runner.ExitError; failures of Multipass are
// classified *Error values.
func (c *Client) Exec(ctx context.Context, name string, o ExecOptions) (*runner.Result, error) {
	args := []string{"exec", name}
	if o.Dir != "" {
		args = append(args, "-d", o.Dir)
	} else {
		args = append(args, "-n")
	}
	args = append(append(args, "--"), o.Args...)
	return c.run(ctx, "exec", name, runner.Cmd{Args: args, Stdin: o.Stdin, Stdout: o.Stdout, Stderr: o.Stderr})
}

// Transfer copies files; instance paths are written NAME:PATH.
func (c *Client) Transfer(ctx context.Context, src, dst string) error {
	inst := ""
	for _, p := range []string{src, dst} {
		if i := strings.IndexByte(p, ':'); i > 0 && !strings.ContainsRune(p[:i], '/') {
			inst = p[:i]
		}
	}
	return c.simple(ctx, "transfer", inst, src, dst)
}

// Get reads a setting such as local.NAME.memory.
func (c *Client) Get(ctx context.Context, key string) (string, error) {
	res, err := c.run(ctx, "get", "", runner.Cmd{Args: []string{"get", key}})
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(res.Stdout)), nil
}

// Set changes a setting such as local.NAME.memory=8G.
func (c *Client) Set(ctx context.Context, key, value string) error {
	inst := ""
	if parts := strings.Split(key, "."); len(parts) == 3 && parts[0] == "local" {
		inst = parts[1]
	}
	return c.simple(ctx, "set", inst, key+"="+value)
}

// MountFor returns where hostDir is visible inside the instance: under a
// mount whose source is hostDir or one of its parents.
func (i *Instance) MountFor(hostDir string) (string, bool) {
	dir := filepath.Clean(hostDir)
	best, bestTarget := "", ""
	for target, m := range i.Mounts {
		src := filepath.Clean(m.SourcePath)
		if dir != src && !strings.HasPrefix(dir, strings.TrimSuffix(src, "/")+"/") {
			continue
		}
		if len(src) > len(best) {
			best, bestTarget = src, target
		}
	}
	if best == "" {
		return "", false
	}
	rel := strings.TrimPrefix(dir, best)
	return strings.TrimSuffix(bestTarget, "/") + filepath.ToSlash(rel), true
}
