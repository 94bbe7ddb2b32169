package script

// The script's exit statuses with a meaning of their own (see
// nixpass-build.sh, which uses the same numbers).
const (
	ExitUsage       = 65
	ExitDirMissing  = 66
	ExitNixMissing  = 69
	ExitNotAFile    = 70
	ExitCopyFailed  = 71
	ExitDiskFull    = 72
	ExitNoEmulation = 75
	// ExitRunDirUnsafe: the run folder is not this user's private folder.
	ExitRunDirUnsafe = 77
	ExitCancelled    = 130
)
