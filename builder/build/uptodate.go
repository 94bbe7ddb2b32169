package build

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"nixpass/builder/machine"
)

// upToDate decides, before the builder lock is taken, whether the project
// is up to date, on a machine that can ask Nix directly (machine.Realiser):
// its last good output is intact and Nix finds, without building, the
// same store path, a file in the store of the same size (or a streamed
// image). It then fills in the report the script would have made; on any
// other answer the build goes on as usual and pays this one evaluation
// extra. The checks are the script's own (see its --last).
func (r *run) upToDate(ctx context.Context) bool {
	rz, ok := r.b.Machine.(machine.Realiser)
	if !ok || (r.b.SkipUpToDate != "" && r.b.SkipUpToDate == r.p.RequestKey() && r.system == "") {
		return false
	}
	g := r.lastGood()
	if g == nil || g.Output != r.res.Output || g.StorePath == "" {
		return false
	}
	r.setPhase("evaluating")
	path, nixLog, ok := rz.Realised(ctx, r.p)
	r.evaluated = true
	if !ok || path != g.StorePath || !sameImage(path, g.Size) || ctx.Err() != nil {
		return false
	}
	for _, line := range strings.SplitAfter(string(nixLog), "\n") {
		if line = strings.TrimSuffix(line, "\n"); line != "" {
			r.nixLine(line)
		}
	}
	r.logLine("# store-path " + path)
	r.mu.Lock()
	r.report.storePath, r.report.upToDate = path, true
	r.mu.Unlock()
	return true
}

// sameImage reports whether store path holds an image the output file of
// size bytes can still be: a file in the store (a symlink only within
// it), executable (a streamed image, whatever it streams) or of that size.
func sameImage(path string, size int64) bool {
	src := path
	if st, err := os.Lstat(path); err != nil {
		return false
	} else if st.Mode()&os.ModeSymlink != 0 {
		if src, err = filepath.EvalSymlinks(path); err != nil || !strings.HasPrefix(src, filepath.Dir(path)+"/") {
			return false
		}
	}
	st, err := os.Lstat(src)
	if err != nil || !st.Mode().IsRegular() {
		return false
	}
	return st.Mode()&0o111 != 0 || st.Size() == size
}
