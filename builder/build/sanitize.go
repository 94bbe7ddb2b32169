package build

import (
	"strings"
	"unicode/utf8"
)

// cleanText makes text from Nix or the builder safe to show in a terminal,
// a notification or JSON: terminal escape sequences and control bytes
// (Nix 2.8 prints serialized error blobs with NULs in them) are dropped,
// the text around them kept; tabs and newlines stay, invalid UTF-8 becomes
// U+FFFD.
func cleanText(s string) string {
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
			// A bare CR would let later text overwrite earlier text.
			if i+1 < len(s) && s[i+1] != '\n' {
				b.WriteByte(' ')
			}
		case c < 0x20 || c == 0x7f:
		default:
			b.WriteByte(c)
		}
	}
	// C1 controls (U+0080–U+009F) are two bytes in UTF-8.
	return strings.Map(func(r rune) rune {
		if r >= 0x80 && r <= 0x9f {
			return -1
		}
		return r
	}, b.String())
}

func needsCleaning(s string) bool {
	if !utf8.ValidString(s) {
		return true
	}
	for _, r := range s {
		if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || (r >= 0x80 && r <= 0x9f) {
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
