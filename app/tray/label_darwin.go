package tray

// menuLabel is a menu line as the platform needs it: NSMenu shows text
// as is.
func menuLabel(s string) string { return s }

// setIdentity does nothing on macOS: a title would put text beside the
// icon in the menu bar.
func setIdentity() {}
