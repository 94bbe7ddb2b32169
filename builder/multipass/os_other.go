//go:build !darwin

package multipass

// hostOS is the OS Hint writes for.
const hostOS = "linux"
