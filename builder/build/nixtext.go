package build

import (
	"strings"

	"nixpass/builder/diagnose"
)

// Bounds of the part of Nix's log a build keeps in memory for its
// diagnosis: the head, the notable lines of the middle, and the tail.
// (Variables so a test can shrink them.)
var (
	nixHeadBytes    = 64 << 10
	nixMiddleBytes  = 256 << 10
	nixTailBytes    = 2 << 20
	nixTailMaxBytes = 2 * nixTailBytes
)

// nixText is what a build keeps of Nix's log for the diagnosis, bounded
// whatever the log's size: its first nixHeadBytes, its last (at least)
// nixTailBytes, and between them the lines diagnose.Notable says a rule
// may read (up to nixMiddleBytes), each with the line before it. On a log
// that fits, it is the whole log.
type nixText struct {
	head, middle, tail strings.Builder
	// prev is the last line dropped from the tail, for the line before a
	// notable one.
	prev string
}

func (n *nixText) reset() { *n = nixText{} }

// line adds one line of Nix's log.
func (n *nixText) line(l string) {
	if n.tail.Len() == 0 && n.head.Len()+len(l) < nixHeadBytes {
		n.head.WriteString(l)
		n.head.WriteByte('\n')
		return
	}
	n.tail.WriteString(l)
	n.tail.WriteByte('\n')
	if n.tail.Len() > nixTailMaxBytes {
		n.trim()
	}
}

// trim drops the tail's start down to nixTailBytes (from a line's start),
// moving notable lines to the middle.
func (n *nixText) trim() {
	s := n.tail.String()
	cut := strings.LastIndexByte(s[:len(s)-nixTailBytes], '\n') + 1
	for _, l := range strings.SplitAfter(s[:cut], "\n") {
		if l == "" {
			continue
		}
		if diagnose.Notable(l) && n.middle.Len()+len(n.prev)+len(l) <= nixMiddleBytes {
			if n.prev != "" {
				n.middle.WriteString(n.prev)
			}
			n.middle.WriteString(l)
			l = ""
		}
		n.prev = l
	}
	n.tail.Reset()
	n.tail.WriteString(s[cut:])
}

// String is the kept text: head, notable middle lines, tail.
func (n *nixText) String() string {
	return n.head.String() + n.middle.String() + n.tail.String()
}
