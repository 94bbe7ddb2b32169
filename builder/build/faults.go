package build

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"nixpass/builder"
	"nixpass/builder/shq"
)

// projectFault says what went wrong with the project folder when writing
// the image there failed, from what the host sees now: the folder is gone
// (deleted or renamed during the build), the output is a folder, or the
// folder's disk is full (diskFull is set when the writer said "No space
// left on device"). It returns nil when none of these holds.
func (r *run) projectFault(diskFull bool, detail string) *builder.Error {
	dir, out := r.p.Dir, r.res.Output
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return &builder.Error{Kind: builder.KindUnavailable, Err: err,
			Message: fmt.Sprintf("the project folder is gone: it was at %s and was deleted or renamed during the build", dir),
			Hint:    "put it back and build again; if it moved, add it where it is now: " + shq.Join("nixpass", "add", "NEWDIR") + " (and " + shq.Join("nixpass", "remove", dir) + ")"}
	}
	if st, err := os.Stat(out); err == nil && st.IsDir() {
		return &builder.Error{Kind: builder.KindConfig,
			Message: fmt.Sprintf("the output %s is a folder, so the image cannot be written there", out),
			Hint:    "remove or rename that folder, or choose another output: " + shq.Join("nixpass", "add", dir, "--output", "NAME")}
	}
	if diskFull {
		where := dir
		if m := mountPoint(dir); m != "" {
			where = fmt.Sprintf("%s (the disk mounted at %s)", dir, m)
		}
		msg := "the project's disk is full: the image did not fit in " + where
		if free, total, ok := diskSpace(dir); ok {
			msg += fmt.Sprintf("; %s free of %s", builder.HumanBytes(free), builder.HumanBytes(total))
		}
		return &builder.Error{Kind: builder.KindDiskFull,
			Message: msg + ": " + detail,
			Hint:    "free space on that disk, or move the project to a disk with room; the builder's Nix store is not the problem; the last good image is untouched"}
	}
	return nil
}

// mountPoint is the folder dir's file system is mounted at: the highest
// ancestor on the same device.
func mountPoint(dir string) string {
	dev, ok := deviceOf(dir)
	if !ok {
		return ""
	}
	for {
		up := filepath.Dir(dir)
		if d, ok := deviceOf(up); up == dir || !ok || d != dev {
			return dir
		}
		dir = up
	}
}
