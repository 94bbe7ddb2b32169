package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// sizeRe is the pattern of mp::in_bytes (memory_size.cpp): an integer,
// optionally a decimal part when a K, M or G unit follows, then a unit
// (K, KB, KiB, ... or B), in any case, surrounded by optional blanks.
var sizeRe = regexp.MustCompile(`^\s*(\d+)(?:\.(\d+))?(?:([KMGkmg])(?:[iI]?[bB])?|[bB])?\s*$`)

// parseSize reads a Multipass size in bytes; units are powers of 1024 and
// a decimal part is floored to whole bytes.
func parseSize(s string) (int64, bool) {
	m := sizeRe.FindStringSubmatch(s)
	if m == nil || m[2] != "" && m[3] == "" {
		return 0, false
	}
	val, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return 0, false
	}
	unit := int64(1)
	switch strings.ToLower(m[3]) {
	case "k":
		unit = 1 << 10
	case "m":
		unit = 1 << 20
	case "g":
		unit = 1 << 30
	}
	n := val * unit
	if m[2] != "" {
		frac, err := strconv.ParseInt(m[2], 10, 64)
		if err != nil {
			return 0, false
		}
		den := int64(1)
		for range m[2] {
			den *= 10
		}
		n += frac * unit / den
	}
	return n, true
}

// invalidSizeText is InvalidMemorySizeException's message.
func invalidSizeText(s string) string {
	return fmt.Sprintf("%s is not a valid memory size - need a non-negative integer (in base 10) or a decimal followed by K, M, or G (e.g. 1234B, 42MiB, 0.5G)", s)
}

// humanReadable is MemorySize::human_readable as `get` prints it: one
// decimal and a binary unit, e.g. "8.0GiB". (The precision is from
// Multipass's text output; the source of its default was not at hand.)
func humanReadable(n int64) string {
	for _, u := range []struct {
		size   int64
		suffix string
	}{{1 << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}} {
		if n >= u.size {
			return fmt.Sprintf("%.1f%s", float64(n)/float64(u.size), u.suffix)
		}
	}
	return fmt.Sprintf("%dB", n)
}
