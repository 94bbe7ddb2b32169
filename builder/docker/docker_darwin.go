package docker

// What to do about Docker on a Mac, where the engine is an app (Docker
// Desktop, OrbStack) or colima's VM, never a system service.
const (
	dockerMissingHint = "install Docker Desktop, OrbStack or colima (brew install colima docker, then colima start), " +
		"or set [docker] command in the config to the docker CLI's path"
	dockerDownHint = "start your Docker engine: open Docker Desktop (open -a Docker) or OrbStack (open -a OrbStack), " +
		"or run colima start, and wait until docker info answers"
	dockerDiskHint = "; Docker Desktop: Settings → Resources → Virtual disk limit; colima: colima start --disk SIZE"
)

func dockerPermissionHint() string {
	return "the engine's socket does not let you in: quit and reopen Docker Desktop, OrbStack or colima, which create it for you"
}
