//go:build !darwin

package hostarch

// translated: only macOS translates binaries (Rosetta).
func translated() (bool, error) { return false, nil }
