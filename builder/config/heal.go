package config

import "fmt"

// Defaults of the keys that keep builds healthy (issue 18): free space on
// the VM's store and how far an out-of-memory build may grow the VM. A
// zero value in the file means "derived": the defaults follow the disk and
// the host, so they are computed here rather than in Default.

// MinFreeSize is [vm] min_free, or its default: 10% of the disk or 5G,
// whichever is less.
func (v VM) MinFreeSize() Size {
	if v.MinFree > 0 {
		return v.MinFree
	}
	return min(v.Disk/10/MiB*MiB, 5*GiB)
}

// MaxFreeSize is [vm] max_free, or its default: twice MinFreeSize.
func (v VM) MaxFreeSize() Size {
	if v.MaxFree > 0 {
		return v.MaxFree
	}
	return 2 * v.MinFreeSize()
}

// MaxMemorySize is [vm] max_memory, or its default: half the host's RAM
// (the configured memory when the host's RAM is unknown).
func (v VM) MaxMemorySize() Size {
	if v.MaxMemory > 0 {
		return v.MaxMemory
	}
	if h := Size(hostMemory()); h > 0 {
		return h / 2 / MiB * MiB
	}
	return v.Memory
}

type healProblem struct{ key, msg string }

func (v VM) healProblems() []healProblem {
	var out []healProblem
	switch {
	case v.MinFree < 0:
		out = append(out, healProblem{"min_free", fmt.Sprintf(`must be a size such as "5G", not %s`, v.MinFree)})
	case v.MinFree >= v.Disk && v.Disk > 0:
		out = append(out, healProblem{"min_free", fmt.Sprintf("%s cannot stay free on the %s disk (vm.disk): make it smaller", v.MinFree, v.Disk)})
	}
	switch {
	case v.MaxFree < 0:
		out = append(out, healProblem{"max_free", fmt.Sprintf(`must be a size such as "10G", not %s`, v.MaxFree)})
	case v.MaxFree > 0 && v.MaxFree < v.MinFreeSize():
		out = append(out, healProblem{"max_free", fmt.Sprintf("max_free (%s) is less than min_free (%s): a collection stops at max_free, so make it at least min_free", v.MaxFree, v.MinFreeSize())})
	}
	switch {
	case v.MaxMemory < 0:
		out = append(out, healProblem{"max_memory", fmt.Sprintf(`must be a size such as "16G", not %s`, v.MaxMemory)})
	case v.MaxMemory > 0 && v.MaxMemory < 512*MiB:
		out = append(out, healProblem{"max_memory", fmt.Sprintf("%s is less than the 512M a VM needs", v.MaxMemory)})
	}
	return out
}
