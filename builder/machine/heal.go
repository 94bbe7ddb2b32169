package machine

import "context"

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

// MemoryGrower is implemented by machines whose memory nixpass may grow
// after a build ran out of it at one job (the VM; issue 18, item 2).
type MemoryGrower interface {
	// MemoryRoom is the machine's memory, the most it may grow to ([vm]
	// max_memory), both in bytes, and whether nixpass may grow it by
	// itself ([vm] auto_grow).
	MemoryRoom() (memory, maxMemory int64, auto bool)
	// GrowMemory stops the machine, sets its memory to bytes and starts
	// it again. The caller holds the builder lock.
	GrowMemory(ctx context.Context, bytes int64, progress func(string)) error
}
