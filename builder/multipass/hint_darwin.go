package multipass

// socketDeniedHint: on macOS only administrators may use Multipass's
// socket; other users authenticate with a passphrase an admin sets.
const socketDeniedHint = "your user may not use the Multipass socket (on macOS only administrators may): an administrator sets a passphrase with: multipass set local.passphrase, then you run: multipass authenticate (and type it), then try again"
