package build

import (
	"fmt"

	"nixpass/builder/docker"
)

// LikelyDeployPlatform is the image platform a user on this host most
// likely deploys to when that differs from what the builder makes by
// default, or "". Multipass on Apple silicon runs only arm64 guests, while
// most servers are x86_64.
func LikelyDeployPlatform(goos, goarch, backend string) string {
	if goos == "darwin" && goarch == "arm64" && backend != "local" {
		return "linux/amd64"
	}
	return ""
}

// platformSystem is the Nix system that builds images for platform.
func platformSystem(platform string) string {
	switch platform {
	case "linux/amd64":
		return "x86_64-linux"
	case "linux/arm64":
		return "aarch64-linux"
	}
	return ""
}

// platformWarning warns, once per project and platform, when the image is
// for another platform than the one the user likely deploys to and the
// project did not choose its system.
func (r *run) platformWarning() {
	want, got := r.b.DeployPlatform, r.res.Platform
	if sys := r.p.System; sys != "" {
		if exp := docker.SystemPlatform(sys); got != "" && exp != "" && got != exp {
			r.addWarning(fmt.Sprintf("the project sets system = %q, but the image's config says %s: the expression sets the architecture itself (a fixed system, or pkgsCross)", sys, got))
		}
		return
	}
	if want == "" || got == "" || got == want || len(r.p.Systems) > 1 {
		return
	}
	if r.b.Store != nil && !r.b.Store.FirstWarning(r.p.Dir, "platform-"+got) {
		return
	}
	msg := fmt.Sprintf("this image is for %s, but most servers (and Docker on Intel machines) run %s, where it fails with \"exec format error\"", got, want)
	if sys := platformSystem(want); sys != "" {
		msg += fmt.Sprintf(`; to build for %s set system = %q in the project's [[project]] table (new projects: nixpass add DIR --system %s): it is built through emulation, which is slower — or, if you deploy on %s, ignore this (it is said once)`, want, sys, sys, got)
	}
	r.addWarning(msg)
}

func (r *run) addWarning(msg string) {
	if r.res.Warning == "" {
		r.res.Warning = msg
		return
	}
	r.res.Warning += "; " + msg
}
