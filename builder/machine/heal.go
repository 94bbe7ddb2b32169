package machine

// FreeSpaceKeeper is implemented by machines on which nixpass keeps free
// space on the Nix store itself (the VM): before a build, inside the
// build's own session, garbage is collected when less than minFree bytes
// are free, until maxFree are. This host's store is the user's: nixpass
// never collects it by itself.
type FreeSpaceKeeper interface {
	// FreeSpace is [vm] min_free and max_free in bytes.
	FreeSpace() (minFree, maxFree int64)
}

// RootDirer is implemented by machines whose garbage-collector roots live
// in a folder of their own (the VM's state folder, inside the VM); without
// it, roots go in the host's state folder.
type RootDirer interface {
	// GCRootDir is the folder of the projects' output roots, as the
	// build script sees it.
	GCRootDir() string
}
