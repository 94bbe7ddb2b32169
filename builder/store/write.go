package store

import (
	"os"
	"path/filepath"
	"reflect"

	"github.com/google/renameio/v2"
)

// writeRecord replaces path with b through a temporary file in the same
// folder and a rename, so a crash never leaves a torn record. durable
// also syncs the file before the rename: a record whose last good output
// changed must survive a power cut, but one where only the last result's
// times changed (an up-to-date build) need not cost an fsync (issue 19's
// no-op budget): losing it loses no more than that result.
func writeRecord(path string, b []byte, durable bool) error {
	dir := filepath.Dir(path)
	if durable {
		// WithTempDir: without it renameio first probes os.TempDir with a
		// file and a rename of its own.
		return renameio.WriteFile(path, b, 0o600, renameio.WithTempDir(dir))
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	_, werr := f.Write(b)
	if err := f.Chmod(0o600); werr == nil {
		werr = err
	}
	if err := f.Close(); werr == nil {
		werr = err
	}
	if werr == nil {
		werr = os.Rename(f.Name(), path)
	}
	if werr != nil {
		os.Remove(f.Name())
	}
	return werr
}

// sameGood reports whether a and b describe the same last good output.
func sameGood(a, b *GoodOutput) bool {
	return a != nil && b != nil && a.StorePath == b.StorePath && a.Output == b.Output && a.Size == b.Size &&
		a.ModTime.Equal(b.ModTime) && a.Image == b.Image && a.Loaded == b.Loaded && a.LoadedID == b.LoadedID && a.Platform == b.Platform &&
		reflect.DeepEqual(a.Pushed, b.Pushed) && reflect.DeepEqual(a.Systems, b.Systems)
}
