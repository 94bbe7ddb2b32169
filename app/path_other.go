//go:build !darwin

package main

// completePATH leaves PATH alone: a Linux session's PATH is the user's
// own, and tools.Finder still searches the install folders.
func completePATH() {}
