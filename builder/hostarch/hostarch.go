// Package hostarch names the machine's own architecture, which is not
// always the binary's: an amd64 nixpass on Apple silicon runs under
// Rosetta 2, where runtime.GOARCH says amd64 while Multipass (and so every
// VM build) is arm64. The arm64-image warning and the defaults that follow
// the builder's architecture need the machine's.
package hostarch

import "runtime"

// Arch is the machine's architecture in GOARCH spelling: "arm64" for an
// amd64 binary translated by Rosetta, else runtime.GOARCH.
func Arch() string { return resolve(runtime.GOOS, runtime.GOARCH, translated) }

// resolve maps the binary's OS and architecture and the answer to "is this
// process translated?" to the machine's architecture. Only darwin/amd64
// can be translated; an error (sysctl.proc_translated is absent on Intel
// Macs and before macOS 11) means native.
func resolve(goos, goarch string, isTranslated func() (bool, error)) string {
	if goos == "darwin" && goarch == "amd64" {
		if t, err := isTranslated(); err == nil && t {
			return "arm64"
		}
	}
	return goarch
}
