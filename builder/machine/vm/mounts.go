package vm

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"nixpass/builder"
	"nixpass/builder/machine"
	"nixpass/builder/multipass"
	"nixpass/builder/shq"
)

// systemGuest are guest folders whose contents must never be shadowed by
// a mount, not even in a subfolder.
var systemGuest = []string{"/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/nix", "/proc", "/root", "/run", "/sbin", "/snap", "/sys", "/usr", "/var"}

// sharedGuest are guest folders a project may live below but must not
// replace.
var sharedGuest = []string{"/", "/home", "/home/ubuntu", "/tmp", "/mnt", "/media", "/opt", "/srv"}

// MountTarget is where dir appears inside the VM: the same path as on the
// host, so Nix error positions point at the user's own files, unless that
// path would shadow part of the guest system or cannot be written in a
// mount spec ("NAME:TARGET").
func MountTarget(dir string) string {
	clean := filepath.ToSlash(filepath.Clean(dir))
	ok := strings.HasPrefix(clean, "/") && !strings.ContainsAny(clean, "\n\r:")
	for _, r := range systemGuest {
		if clean == r || strings.HasPrefix(clean, r+"/") || strings.HasPrefix(r, clean+"/") {
			ok = false
		}
	}
	if slices.Contains(sharedGuest, clean) || strings.HasPrefix(DefaultGuestScriptDir, clean+"/") {
		ok = false
	}
	if ok {
		return clean
	}
	return path.Join("/home/ubuntu/nixpass-mounts", builder.SafeName(filepath.Base(dir))+"-"+builder.ProjectKey(dir)[:8])
}

func (v *Machine) mount(ctx context.Context, inst *multipass.Instance, dir string, progress func(string)) (string, error) {
	if guest, ok := inst.MountFor(dir); ok {
		return guest, nil
	}
	target := MountTarget(dir)
	progress(fmt.Sprintf("mounting %s in the builder VM at %s", dir, target))
	if err := v.Client.Mount(ctx, dir, v.Name, target); err != nil {
		// Another nixpass may have mounted it meanwhile.
		if again, ierr := v.Client.Info(ctx, v.Name); ierr == nil {
			if guest, ok := again.MountFor(dir); ok {
				return guest, nil
			}
		}
		return "", &builder.Error{Kind: builder.KindUnavailable, Err: err,
			Message: fmt.Sprintf("mount %s in the builder VM: %v", dir, err),
			Hint:    multipass.MountReadHint}
	}
	return target, nil
}

// MountAdvice implements machine.MountAdvisor.
func (v *Machine) MountAdvice(missing string, p builder.Project) string {
	return MountAdvice(missing, p.Dir, p.Mounts)
}

var _ machine.MountAdvisor = (*Machine)(nil)

// MountAdvice explains a path a build in the VM could not find that lies
// outside the project folder and every extra mounted folder, but exists
// on this host: the VM cannot see it, and the sentence names the mount
// to add. It returns "" when the path is inside a mounted folder or does
// not exist here either (then it is missing for real, and saying "mount
// it" would be a wrong diagnosis).
func MountAdvice(missing, projectDir string, mounts []string) string {
	if missing == "" || !filepath.IsAbs(missing) {
		return ""
	}
	missing = filepath.Clean(missing)
	for _, root := range append([]string{projectDir}, mounts...) {
		if builder.Within(missing, root) {
			return ""
		}
	}
	if _, err := os.Stat(missing); err != nil {
		return ""
	}
	folder := mountCandidate(missing, projectDir)
	if builder.Within(projectDir, folder) {
		// Only a folder holding the project would do, which cannot be
		// mounted beside it.
		return ""
	}
	arg := folder
	if rel, err := filepath.Rel(projectDir, folder); err == nil && !strings.HasPrefix(rel, "../../../") && rel != ".." {
		arg = rel
	}
	return fmt.Sprintf("%s exists on this computer but lies outside every folder mounted in the builder VM (the project folder and its mounts), so the build cannot see it: mount %s with the project, by adding mounts = [%q] to its [[project]] table, or with: %s",
		missing, folder, arg, shq.Join("nixpass", "remove", projectDir)+" && "+shq.Join("nixpass", "add", projectDir, "--mount", arg))
}

// mountCandidate is the folder to mount so that missing becomes visible:
// the child of the deepest folder missing shares with the project that
// holds missing (../lib for a sibling), or missing's own folder when they
// share only the root.
func mountCandidate(missing, projectDir string) string {
	common := filepath.Clean(projectDir)
	for !builder.Within(missing, common) {
		common = filepath.Dir(common)
	}
	if common == string(filepath.Separator) {
		return filepath.Dir(missing)
	}
	rel, _ := filepath.Rel(common, missing)
	first, _, _ := strings.Cut(filepath.ToSlash(rel), "/")
	c := filepath.Join(common, first)
	if c == missing {
		return filepath.Dir(missing)
	}
	return c
}
