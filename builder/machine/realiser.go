package machine

import (
	"context"

	"nixpass/builder"
)

// Realiser is implemented by machines that run Nix on this host and can
// decide whether a project is up to date without the builder lock and
// without building anything (the local backend: nix-build --max-jobs 0,
// which finds or substitutes the output but builds nothing). A build asks
// it first when the project has an intact last good output, and takes
// the lock and runs the script only when the answer is not that output.
type Realiser interface {
	// Realised evaluates p and returns the store path of its output when
	// that path is valid now, with Nix's messages (stderr); ok is false
	// when something would have to be built, or when anything else went
	// wrong: the caller then builds as usual, and that build explains
	// any failure.
	Realised(ctx context.Context, p builder.Project) (storePath string, nixLog []byte, ok bool)
}
