package config

import (
	"fmt"
	"strings"
	"time"
)

// Duration is a length of time, written as a Go duration string: a number
// with a unit, "500ms", "30s", "30m", "2h" or "1h30m"; "0" is zero, which
// means off for keys that allow it.
type Duration time.Duration

// ParseDuration parses a Go duration string.
func ParseDuration(s string) (Duration, error) {
	v, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q: use a number with a unit, ms, s, m or h (e.g. \"30s\", \"30m\", \"2h\")", s)
	}
	return Duration(v), nil
}

// D returns the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String renders the duration as time.Duration does, without the zero
// units it trails ("2h", not "2h0m0s"); zero is "0".
func (d Duration) String() string {
	if d == 0 {
		return "0"
	}
	s := time.Duration(d).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// UnmarshalText parses a Go duration string; it implements
// encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalText renders the duration as String does; it implements
// encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }
