package store

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Holder says who holds a builder lock, for the build that waits for it
// (issue 18, item 6: no silent waits). The holder writes it into the lock
// file once it has the lock; the lock itself stays the flock.
type Holder struct {
	PID     int
	Since   time.Time
	Command string
	// Project is the folder being built.
	Project string
}

// Claim records h as the lock's holder.
func (l *Lock) Claim(h Holder) error {
	if l == nil {
		return nil
	}
	line := strings.Join([]string{strconv.Itoa(h.PID), h.Since.UTC().Format(time.RFC3339), oneLine(h.Project), oneLine(h.Command)}, "\t") + "\n"
	if err := l.f.Truncate(0); err != nil {
		return err
	}
	_, err := l.f.WriteAt([]byte(line), 0)
	return err
}

// ReadHolder reads who holds the lock at path, as its holder recorded
// it; ok is false when nothing (or nothing readable) is recorded.
func ReadHolder(path string) (h Holder, ok bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Holder{}, false
	}
	f := strings.Split(strings.TrimSuffix(string(b), "\n"), "\t")
	if len(f) != 4 {
		return Holder{}, false
	}
	pid, err := strconv.Atoi(f[0])
	if err != nil || pid <= 0 {
		return Holder{}, false
	}
	since, _ := time.Parse(time.RFC3339, f[1])
	return Holder{PID: pid, Since: since, Project: f[2], Command: f[3]}, true
}

// String says who holds the lock: "nixpass build /src/app (PID 4242,
// building /src/app since 17:40:02)".
func (h Holder) String() string {
	s := fmt.Sprintf("%s (PID %d", h.Command, h.PID)
	if h.Project != "" {
		s += ", building " + h.Project
	}
	if !h.Since.IsZero() {
		s += " since " + h.Since.Local().Format("15:04:05")
	}
	return s + ")"
}

func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}
