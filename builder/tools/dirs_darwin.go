package tools

// InstallDirs are the folders searched after PATH on this OS.
func InstallDirs(home string) []string { return DarwinDirs(home) }
