//go:build !darwin

package multipass

// socketDeniedHint: on Linux the socket belongs to a group.
const socketDeniedHint = "your user may not use the Multipass socket: get read/write access to it (be in its group, or run: multipass authenticate after an admin sets multipass set local.passphrase), or restart Multipass, then try again"
