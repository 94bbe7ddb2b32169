// Package script embeds nixpass-build.sh, the one script nixpass runs on a
// builder machine, and names the installed copy after its content so that a
// changed script is reinstalled and an unchanged one never is.
//
// It imports no other nixpass package.
package script

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
)

//go:embed nixpass-build.sh
var body []byte

// Body returns the script's content.
func Body() []byte { return body }

// Hash is a short content hash of the script.
func Hash() string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:6])
}

// FileName is the name the script is installed under on a builder:
// content-addressed, so an installed copy is current if it exists.
func FileName() string { return "nixpass-build-" + Hash() + ".sh" }
