package watch

import (
	"errors"
	"fmt"
	"syscall"
)

// LimitError reports that the system ran out of watches or file
// descriptors, with how to raise the limit.
type LimitError struct {
	Dir  string
	Err  error
	Hint string
}

// Error names the folder and the limit.
func (e *LimitError) Error() string {
	return fmt.Sprintf("watch %s: %v: %s", e.Dir, e.Err, e.Hint)
}

// Unwrap returns the system error.
func (e *LimitError) Unwrap() error { return e.Err }

// limitError classifies errors of adding a watch.
func limitError(dir string, err error) error {
	switch {
	case errors.Is(err, syscall.ENOSPC):
		return &LimitError{Dir: dir, Err: err, Hint: watchLimitHint()}
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return &LimitError{Dir: dir, Err: err, Hint: fdLimitHint()}
	case errors.Is(err, syscall.EPERM), errors.Is(err, syscall.EACCES):
		return fmt.Errorf("watch %s: %w: %s", dir, err, permissionHint())
	}
	return fmt.Errorf("watch %s: %w", dir, err)
}
