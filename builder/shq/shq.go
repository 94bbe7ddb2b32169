// Package shq quotes arguments for a POSIX shell, so that every command a
// hint shows can be pasted into a terminal and runs exactly that command,
// whatever the paths and attributes in it contain.
//
// It imports no other nixpass package.
package shq

import "strings"

// Quote returns s as one shell word. Words made only of characters no
// shell treats specially are left bare, for readable hints; anything else
// is put in single quotes; a single quote inside closes the quoting,
// is escaped with a backslash and reopens it.
func Quote(s string) string {
	if s == "" {
		return "''"
	}
	if isBare(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Join quotes each argument and joins them with spaces: a whole command.
func Join(argv ...string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = Quote(a)
	}
	return strings.Join(q, " ")
}

func isBare(s string) bool {
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("-_./:@%+,=", r):
		default:
			return false
		}
	}
	// A leading "~" or "=" could expand; "=" only in zsh as the first
	// character, which isBare already excludes for "~".
	return s[0] != '='
}
