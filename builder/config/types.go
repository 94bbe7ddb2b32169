package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Size is a number of bytes written the way Multipass reads sizes: plain
// bytes, or a decimal number with a K, M or G suffix (binary multiples;
// KiB/KB and friends are accepted too).
type Size int64

// ParseSize parses a Multipass-style size.
func ParseSize(s string) (Size, error) {
	t := strings.TrimSpace(s)
	upper := strings.ToUpper(t)
	mult := int64(1)
	for _, suf := range []struct {
		s string
		m int64
	}{{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"TIB", 1 << 40}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"TB", 1 << 40}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"T", 1 << 40}, {"B", 1}} {
		if strings.HasSuffix(upper, suf.s) {
			upper, mult = strings.TrimSpace(strings.TrimSuffix(upper, suf.s)), suf.m
			break
		}
	}
	f, err := strconv.ParseFloat(upper, 64)
	if err != nil || f < 0 || upper == "" {
		return 0, fmt.Errorf("invalid size %q: use bytes or a number with K, M or G (e.g. \"8G\")", s)
	}
	return Size(f * float64(mult)), nil
}

// String renders the size in the shortest exact Multipass form ("8G").
func (s Size) String() string {
	n := int64(s)
	switch {
	case n == 0:
		return "0"
	case n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + "G"
	case n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + "M"
	case n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + "K"
	}
	return strconv.FormatInt(n, 10)
}

// Bytes returns the size in bytes.
func (s Size) Bytes() int64 { return int64(s) }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Size) UnmarshalText(b []byte) error {
	v, err := ParseSize(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (s Size) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Duration is a time.Duration written as a Go duration string ("2h",
// "500ms"); "0" means off where a key allows it.
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String renders the duration like time.Duration does.
func (d Duration) String() string { return time.Duration(d).String() }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "0" {
		*d = 0
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("invalid duration %q: use a number with a unit, e.g. \"500ms\", \"30m\", \"2h\"", string(b))
	}
	*d = Duration(v)
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }
