package builder

// LogCutPrefix starts the one line a stored build log holds where a part
// of a long build's output was left out (store.Log). `explain` and the
// diagnosis ignore it: it is nixpass's note, not Nix's text.
const LogCutPrefix = "# nixpass: log cut:"
