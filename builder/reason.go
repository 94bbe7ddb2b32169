package builder

import "context"

type reasonKey struct{}

// WithReason returns ctx carrying why a build runs ("manual", "change",
// ...); Build copies it into Result.Reason.
func WithReason(ctx context.Context, reason string) context.Context {
	return context.WithValue(ctx, reasonKey{}, reason)
}

// ReasonOf is the reason ctx carries, or "".
func ReasonOf(ctx context.Context) string {
	r, _ := ctx.Value(reasonKey{}).(string)
	return r
}

// MergeReason is the reason of a build that serves both an earlier
// request (was) and a newer one (now): manual wins, so a click always
// shows its outcome; otherwise the newer.
func MergeReason(was, now string) string {
	if was == "manual" {
		return was
	}
	return now
}
