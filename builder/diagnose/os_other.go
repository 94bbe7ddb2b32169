//go:build !darwin

package diagnose

// hostOS is the OS hints are written for when Evidence.HostOS is empty.
const hostOS = "linux"
