//go:build !darwin

package docker

import (
	"os"
	"os/user"

	"nixpass/builder/shq"
)

// What to do about Docker on Linux, where the engine is a system service
// and its socket belongs to the docker group.
const (
	dockerMissingHint = "install Docker (Debian/Ubuntu: sudo apt-get install docker.io), " +
		"or set [docker] command in the config to the docker CLI's path"
	dockerDownHint = "start the engine: sudo systemctl start docker (sudo systemctl enable docker starts it at boot)"
	dockerDiskHint = ""
)

func dockerPermissionHint() string {
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	return "your user may not use the engine's socket: add it to the docker group with " +
		shq.Join("sudo", "usermod", "-aG", "docker", name) + ", then log out and in again (or run newgrp docker in a terminal)"
}
