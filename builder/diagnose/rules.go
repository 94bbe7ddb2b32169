package diagnose

import (
	"nixpass/builder"
)

// Match is what a rule found in the log, for its message and hint.
type Match struct {
	// Drv is the failing derivation's store path.
	Drv string
	// Position is FILE:LINE:COL of an evaluation error.
	Position string
	// What is Nix's own error text.
	What string
	// Tail is the last lines of the failing builder's log.
	Tail []string
	// Signal is the signal that killed the builder or nix.
	Signal int
	// Subject is what the rule is about: a URL, a path, a socket, a
	// group, a system or feature name.
	Subject string
	// Reason is the system's reason (e.g. "Connection refused").
	Reason string
	// Need and Have are what the derivation needs and the builder offers
	// (platform), or the specified and got hashes (hash mismatch).
	Need, Have string
	// Repo is the git repository of an untracked file.
	Repo string
	// Input is the flake input a download was for.
	Input string
	// Missing is a file the expression reads that does not exist.
	Missing string
}

// Rule is one entry of the failure table.
type Rule struct {
	// Name identifies the rule in tests.
	Name string
	// builder.Kind is the rule's verdict, unless KindOf says otherwise.
	Kind builder.Kind
	// Match reports whether the rule applies to the log and evidence.
	Match func(l *nixLog, ev *Evidence) (Match, bool)
	// KindOf, when set, decides the kind from the match and evidence.
	KindOf func(m Match, ev *Evidence) builder.Kind
	// Message says what happened.
	Message func(m Match, ev *Evidence) string
	// Hint says what to do; commands go through h so they are quoted.
	Hint func(m Match, ev *Evidence, h *hint) string
	// Action is the short remedy for menus and notifications.
	Action func(m Match, ev *Evidence) string
}

// Rules is the failure table, tried in order; the first match wins. The
// order matters: a remote builder that could not be used ends in Nix's
// misleading "remote machines may not have all required system features",
// and set-up and network problems also end in "builder failed" or an
// evaluation error, so they come before those.
//
// The rules live by family: nixpass's own push lines, which come first
// (rules_push.go), the set-up of Nix on the machine (disk,
// build users, daemon, store: rules_setup.go), the platform and the
// network (rules_platform.go; remote builders in remote.go), the
// project's source (hashes, git, Nix files: rules_source.go), and builds
// that failed or were killed, then evaluation (rules_failed.go).
var Rules = []Rule{
	pushRule,
	remoteBuilderRule,
	diskFullRule,
	buildUsersRule,
	daemonSocketRule,
	storePermissionRule,
	platformRule,
	networkRule,
	hashMismatchRule,
	untrackedRule,
	noNixFileRule,
	missingFileRule,
	nixPathRule,
	missingAttrRule,
	builderFailedRule,
	nixKilledRule,
	buildOtherRule,
	evalRule,
}
