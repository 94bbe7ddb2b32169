package machine

import (
	"context"
	"errors"
	"os/user"

	"nixpass/builder"
	"nixpass/builder/diagnose"
	"nixpass/builder/runner"
)

// Evidence is what every diagnosis knows without a build: who builds,
// and the machine m (nil: none in particular).
func Evidence(ctx context.Context, m Machine) diagnose.Evidence {
	var ev diagnose.Evidence
	if u, err := user.Current(); err == nil {
		ev.User = u.Username
	}
	if d, ok := m.(Describer); ok {
		ev.Machine = d.DiagnoseMachine(ctx)
	}
	return ev
}

// SetupProblem classifies a failed `check` whose stderr is Nix's own
// error (exit 1): no daemon, a socket the user may not open, no build
// users, a store it may not write. It returns nil for anything else.
func SetupProblem(ctx context.Context, err error, m Machine) *builder.Error {
	var xe *runner.ExitError
	if !errors.As(err, &xe) || xe.Code != 1 || xe.Stderr == "" {
		return nil
	}
	ev := Evidence(ctx, m)
	// Only set-up verdicts: anything else (a broken nix.conf, say) is
	// reported with Nix's own words by the caller, not with a hint meant
	// for a build.
	d := diagnose.Diagnose(xe.Stderr, ev)
	if d.Kind != builder.KindUnavailable && d.Kind != builder.KindDiskFull {
		return nil
	}
	return &builder.Error{Kind: builder.KindUnavailable, Err: err, Message: d.Message, Hint: d.Hint}
}
