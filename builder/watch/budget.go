package watch

import (
	"fmt"
	"os"
)

// fdBudget bounds the file descriptors kqueue may hold for watches. kqueue
// (fsnotify on macOS without cgo) opens one descriptor per watched folder
// and one per entry in it, ignored files included, and they count against
// the process limit (kern.maxfilesperproc) and the system-wide one
// (kern.maxfiles, 12288 on some Macs). Without a budget a big tree takes
// them all and the next build cannot even open its log file.
type fdBudget struct {
	limit int // 0: no budget
	used  int
}

// take reserves n descriptors; false when that would pass the limit.
func (b *fdBudget) take(n int) bool {
	if b.limit <= 0 {
		return true
	}
	if b.used+n > b.limit {
		return false
	}
	b.used += n
	return true
}

// give returns n descriptors.
func (b *fdBudget) give(n int) {
	if b.used -= n; b.used < 0 {
		b.used = 0
	}
}

// watchCost is what watching dir costs with kqueue: its own descriptor
// and one per entry.
func watchCost(dir string) int {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 1
	}
	return 1 + len(entries)
}

// defaultFDBudget is a quarter of the soft descriptor limit (which Go
// raises to kern.maxfilesperproc at start), at most 4096, so builds,
// pipes and other apps keep theirs.
func defaultFDBudget(soft uint64) int {
	b := soft / 4
	if b > 4096 {
		b = 4096
	}
	if b < 64 {
		b = 64
	}
	return int(b)
}

// BudgetError says a project is too big to watch with kqueue.
type BudgetError struct {
	Dir    string
	Needed int // descriptors the walk had reached when it stopped
	Limit  int
}

// Error says what happened and what to do.
func (e *BudgetError) Error() string {
	return fmt.Sprintf("watch %s: too big to watch with kqueue (it needs one file descriptor per file: more than %d, the budget nixpass keeps to leave builds and other apps theirs); auto-build is off for it: "+
		"ignore big folders (node_modules, build output) in .gitignore, or use the app built with cgo (make app), which watches with FSEvents and needs no descriptor per file", e.Dir, e.Limit)
}
