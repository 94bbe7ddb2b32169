package builder

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
)

// Project is one build request: what to build and where the image goes.
// The project need not be registered. (config.Project is the config
// file's table; this is what a build, a machine and a diagnosis see.)
type Project struct {
	// Dir is the project folder (absolute).
	Dir string
	// File is the Nix file, relative to Dir; used when Flake is empty.
	File string
	// Flake is a flake reference such as ".#image".
	Flake string
	// Attr selects an attribute of File (-A).
	Attr string
	// Args are extra "--arg NAME EXPR" / "--argstr NAME VALUE" triples.
	Args []string
	// Output is the image's file name inside Dir.
	Output string
	// DockerLoad loads the image into Docker after a successful build.
	DockerLoad bool
	// System is the Nix system to build for, "x86_64-linux" or
	// "aarch64-linux"; "" means the builder's own. A foreign system is
	// built through qemu-user emulation.
	System string
	// Mounts are more host folders (absolute) the build reads, such as a
	// monorepo's shared library: the VM mounts them at their own paths.
	Mounts []string
	// MaxJobs and Cores are Nix's max-jobs and cores for the first
	// attempt; 0 leaves Nix's own.
	MaxJobs, Cores int
	// Push is where each good image is pushed, "REGISTRY/REPO[:TAG]";
	// "" pushes nothing.
	Push string
	// Systems, when it names more than one system, asks for one image per
	// system, built in one request (the builder's own first, into Output;
	// the others into the state folder) and pushed under one tag as a
	// Docker manifest list. One system is System.
	Systems []string
}

// ProjectKey is a short stable name for the project folder dir, for file
// names of its records, logs and mounts.
func ProjectKey(dir string) string {
	sum := sha256.Sum256([]byte(filepath.Clean(dir)))
	return hex.EncodeToString(sum[:8])
}

// SafeName keeps a folder name readable in a log path without letting odd
// characters into it.
func SafeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteRune('_')
		}
	}
	if b.Len() == 0 {
		return "project"
	}
	// A folder name may be up to 255 bytes, and a path component made
	// from it gets a suffix: keep it well below the limit.
	if b.Len() > maxSafeName {
		return b.String()[:maxSafeName]
	}
	return b.String()
}

// maxSafeName bounds names made by SafeName (ASCII, so bytes).
const maxSafeName = 64

// Within reports whether path is root or lies inside it.
func Within(path, root string) bool {
	rel, err := filepath.Rel(filepath.Clean(root), path)
	return err == nil && filepath.IsLocal(rel) || rel == "."
}

// HumanBytes formats a size the way Finder does (decimal units).
func HumanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	v := float64(n) / float64(div)
	if v >= 100 {
		return fmt.Sprintf("%.0f %cB", v, "kMGTPE"[exp])
	}
	return fmt.Sprintf("%.1f %cB", v, "kMGTPE"[exp])
}

// HumanGiB formats a memory size in GiB, the unit Multipass sizes use
// (MiB below one GiB).
func HumanGiB(n int64) string {
	g := float64(n) / (1 << 30)
	if g == float64(int64(g)) {
		return fmt.Sprintf("%d GiB", int64(g))
	}
	if g < 1 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%.1f GiB", g)
}

// RequestKey names what p asks to build (its folder, Nix file or flake,
// attribute, arguments, system, output and mounts): two requests with the
// same key build the same derivation from the same files, so a build may
// join another's instead of running twice.
func (p Project) RequestKey() string {
	b, _ := json.Marshal(p)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}
