// Package citest finds, for the tests, what .ci/setup makes on the
// machine: the private Docker engine today. A missing piece fails the test
// naming `sudo .ci/setup` (or, with NIXPASS_ALLOW_SKIP=1, skips it).
package citest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"nixpass/builder/tools"
)

// DefaultDockerHost is the private engine .ci/setup runs.
const DefaultDockerHost = "unix:///var/lib/nixpass-ci/docker/sock"

// Missing fails t (skips it with NIXPASS_ALLOW_SKIP=1) because what
// .ci/setup makes is not there.
func Missing(t testing.TB, what string) {
	t.Helper()
	msg := what + ": run sudo .ci/setup"
	if os.Getenv("NIXPASS_ALLOW_SKIP") == "1" {
		t.Skip(msg)
	}
	t.Fatal(msg)
}

// DockerHost returns the DOCKER_HOST of the tests' engine (the one
// NIXPASS_TEST_DOCKER_HOST names, else DefaultDockerHost) once `docker
// info` answers there.
func DockerHost(t testing.TB) string {
	t.Helper()
	host := os.Getenv("NIXPASS_TEST_DOCKER_HOST")
	if host == "" {
		host = DefaultDockerHost
	}
	bin, err := tools.Default().Find("docker")
	if err != nil {
		Missing(t, fmt.Sprintf("no docker CLI for the tests (%v)", err))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "info", "--format", "{{.ServerVersion}}")
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+host)
	if out, err := cmd.CombinedOutput(); err != nil {
		Missing(t, fmt.Sprintf("no Docker engine for the tests at %s (%v: %s); or set NIXPASS_TEST_DOCKER_HOST", host, err, strings.TrimSpace(string(out))))
	}
	return host
}
