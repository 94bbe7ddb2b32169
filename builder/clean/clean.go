// Package clean makes text from Nix, an image or the user's files safe to
// show in a terminal, a menu or a notification: Text for text of many
// lines (logs, messages), Line for a one-line field (an image name, a
// project path), and JSON for encoded JSON, whose values stay exact. It
// is nixpass's one cleaner; it imports nothing of nixpass.
package clean

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// Text drops terminal escape sequences and control bytes (Nix 2.8 prints
// serialized error blobs with NULs in them), keeping the text around
// them; tabs and newlines stay, a bare CR becomes a space (it would let
// later text overwrite earlier text), C1 controls (U+0080–U+009F) go and
// invalid UTF-8 becomes U+FFFD.
func Text(s string) string {
	if !needsCleaning(s) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == 0x1b:
			i = skipEscape(s, i)
		case c == '\n' || c == '\t':
			b.WriteByte(c)
		case c == '\r':
			if i+1 < len(s) && s[i+1] != '\n' {
				b.WriteByte(' ')
			}
		case c < 0x20 || c == 0x7f:
		default:
			b.WriteByte(c)
		}
	}
	return strings.Map(func(r rune) rune {
		if isC1(r) {
			return -1
		}
		return r
	}, b.String())
}

// Line is Text for a one-line field: newlines, tabs and the Unicode line
// and paragraph separators become a space, and bidirectional and
// zero-width controls, which make a name read as another, are dropped.
func Line(s string) string {
	s = Text(s)
	if !needsLineCleaning(s) {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t' || r == '\u2028' || r == '\u2029':
			return ' '
		case invisible(r):
			return -1
		}
		return r
	}, s)
}

// JSON escapes the C1 controls (U+0080–U+009F) in encoded JSON as \u00XX,
// which encoding/json leaves raw and some terminals obey. Outside strings
// JSON is ASCII, so every such rune is inside a string, whose value the
// escape keeps exact.
func JSON(b []byte) []byte {
	if !bytes.Contains(b, []byte{0xc2}) {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for i := 0; i < len(b); i++ {
		if b[i] == 0xc2 && i+1 < len(b) && b[i+1] >= 0x80 && b[i+1] <= 0x9f {
			const hex = "0123456789abcdef"
			out = append(out, '\\', 'u', '0', '0', hex[b[i+1]>>4], hex[b[i+1]&0xf])
			i++
			continue
		}
		out = append(out, b[i])
	}
	return out
}

func isC1(r rune) bool { return r >= 0x80 && r <= 0x9f }

// invisible reports the bidirectional controls (U+061C, U+200E–U+200F,
// U+202A–U+202E, U+2066–U+2069) and zero-width characters (U+200B–U+200D,
// U+2060, U+FEFF).
func invisible(r rune) bool {
	switch {
	case r == 0x061c, r >= 0x200b && r <= 0x200f, r >= 0x202a && r <= 0x202e,
		r == 0x2060, r >= 0x2066 && r <= 0x2069, r == 0xfeff:
		return true
	}
	return false
}

func needsCleaning(s string) bool {
	if !utf8.ValidString(s) {
		return true
	}
	for _, r := range s {
		if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || isC1(r) {
			return true
		}
	}
	return false
}

func needsLineCleaning(s string) bool {
	for _, r := range s {
		if r == '\n' || r == '\t' || r == '\u2028' || r == '\u2029' || invisible(r) {
			return true
		}
	}
	return false
}

// skipEscape returns the index of the last byte of the escape sequence
// starting at s[i] (ESC): CSI "ESC [ params final", OSC "ESC ] ... BEL or
// ESC \", or a two-byte "ESC X".
func skipEscape(s string, i int) int {
	if i+1 >= len(s) {
		return i
	}
	switch s[i+1] {
	case '[':
		for j := i + 2; j < len(s); j++ {
			if s[j] >= 0x40 && s[j] <= 0x7e {
				return j
			}
		}
		return len(s) - 1
	case ']':
		for j := i + 2; j < len(s); j++ {
			if s[j] == 0x07 {
				return j
			}
			if s[j] == 0x1b && j+1 < len(s) && s[j+1] == '\\' {
				return j + 1
			}
		}
		return len(s) - 1
	}
	return i + 1
}
