package multipass

import (
	"context"
	"io"
	"math"
	"strconv"
	"time"

	"nixpass/builder/runner"
)

// LaunchOptions are the flags of `multipass launch`; zero values leave
// Multipass's defaults (1 CPU, 1G memory, 5G disk, the current LTS).
type LaunchOptions struct {
	// Name names the instance; "" lets Multipass pick one.
	Name string
	// Image is e.g. "24.04", "noble" or "lts".
	Image string
	CPUs  int
	// Memory and Disk are sizes in Multipass's syntax, e.g. "8G".
	Memory, Disk string
	// CloudInit is the path of a cloud-init user-data file.
	CloudInit string
	// Timeout bounds the launch, cloud-init included (whole seconds,
	// rounded up); zero means Multipass's default of 5 minutes. On
	// timeout the instance exists but may not be ready.
	Timeout time.Duration
	// Stdout and Stderr receive the CLI's progress as it is printed.
	Stdout, Stderr io.Writer
}

// Launch creates and starts an instance: ErrAlreadyExists when the name is
// taken, ErrInvalidSize when Multipass rejects a size.
func (c *Client) Launch(ctx context.Context, o LaunchOptions) error {
	_, err := c.run(ctx, "launch", o.Name, runner.Cmd{Args: launchArgs(o), Stdout: o.Stdout, Stderr: o.Stderr})
	return err
}

func launchArgs(o LaunchOptions) []string {
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
		// Multipass wants a positive whole number of seconds.
		args = append(args, "--timeout", strconv.Itoa(int(math.Ceil(o.Timeout.Seconds()))))
	}
	return args
}
