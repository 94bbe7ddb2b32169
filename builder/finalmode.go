package builder

import (
	"fmt"
	"os"
)

// imageMode is the mode of an image put in place: the script writes the
// temporary file private (umask 077), and nixpass opens it up only once
// it has checked that the file is an image archive.
const imageMode = 0o644

// finalMode gives the checked temporary image at tmp its final mode, on
// the host (over the VM's mount too), just before the rename.
func finalMode(tmp string) error {
	if err := os.Chmod(tmp, imageMode); err != nil {
		return &Error{Kind: KindBuild, Err: err,
			Message: fmt.Sprintf("set the mode of the new image %s: %v", tmp, err),
			Hint:    "check that the project folder is writable; the last good image is untouched"}
	}
	return nil
}

// outsideStore is the error for a build output that is a symlink out of
// the Nix store: nothing was read from it or copied.
func outsideStore(storePath, target string) *Error {
	return &Error{Kind: KindBuild,
		Message: fmt.Sprintf("the build's output %s is a symlink to %s, outside the Nix store: nixpass copies only images in the store, and copied nothing", storePath, target),
		Hint:    "make the derivation's output the image itself: a dockerTools image (buildImage or buildLayeredImage, a tarball; streamLayeredImage, a program); the last good image is untouched"}
}
