package build

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"nixpass/builder"
	"nixpass/builder/shq"
)

// imageMode is the mode of an image put in place: the script writes the
// temporary file private (umask 077), and nixpass opens it up only once
// it has checked that the file is an image archive.
const imageMode = 0o644

// finalMode gives the checked temporary image at tmp its final mode, on
// the host (over the VM's mount too), just before the rename.
func finalMode(tmp string) error {
	if err := os.Chmod(tmp, imageMode); err != nil {
		return &builder.Error{Kind: builder.KindBuild, Err: err,
			Message: fmt.Sprintf("set the mode of the new image %s: %v", tmp, err),
			Hint:    "check that the project folder is writable; the last good image is untouched"}
	}
	return nil
}

// outsideStore is the error for a build output that is a symlink out of
// the Nix store: nothing was read from it or copied.
func outsideStore(storePath, target string) *builder.Error {
	return &builder.Error{Kind: builder.KindBuild,
		Message: fmt.Sprintf("the build's output %s is a symlink to %s, outside the Nix store: nixpass copies only images in the store, and copied nothing", storePath, target),
		Hint:    "make the derivation's output the image itself: a dockerTools image (buildImage or buildLayeredImage, a tarball; streamLayeredImage, a program); the last good image is untouched"}
}

// runDirUnsafe is the error for the script's status 77 (its run folder is
// not a private folder of the user who builds): report is what the script
// said, "OWNER MODE PATH".
func runDirUnsafe(report, where string) *builder.Error {
	f := strings.SplitN(report, " ", 3)
	owner, mode, dir := "?", "?", report
	if len(f) == 3 {
		owner, mode, dir = f[0], f[1], f[2]
	}
	msg := fmt.Sprintf("the build script's run folder %s on %s is not a private folder of the user who builds (owner %s, mode %s): another user could steer the build through it, so nothing was built", dir, where, owner, mode)
	if strings.HasPrefix(mode, "l") {
		msg = fmt.Sprintf("the build script's run folder %s on %s is a symlink (owner %s): another user could steer the build through it, so nothing was built", dir, where, owner)
	}
	if owner == "-" {
		msg = fmt.Sprintf("the build script's run folder on %s cannot be used safely: %s", where, dir)
	}
	return &builder.Error{Kind: builder.KindUnavailable, Message: msg,
		Hint: "remove it (as its owner, or root) so nixpass makes a private one at the next build: " + shq.Join("rm", "-rf", "--", dir) +
			"; then check who else can write to " + filepath.Dir(dir)}
}
