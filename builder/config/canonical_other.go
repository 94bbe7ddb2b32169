//go:build !darwin

package config

// caseInsensitiveFS: Linux file systems are case-sensitive.
var caseInsensitiveFS = false
