//go:build !darwin

package tray

const revealTitle = "Show in file manager"
