package config

import (
	"sort"
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
)

// layout is where the tables of a config file are, line by line, so an
// edit can change the lines of one table and leave every other byte of
// the file alone.
type layout struct {
	data     []byte
	lines    []string     // data split after each '\n'
	starts   []int        // byte offset of each line
	tables   []tableLines // every [table] and [[table]], in file order
	comments map[int]bool // lines holding only a comment
}

// tableLines is one table of the file.
type tableLines struct {
	name   string
	array  bool
	header int // line of the header
	keys   []keyValue
}

// keyValue is one key of a table and where its value is written.
type keyValue struct {
	key   string
	value unstable.Range
}

// parseLayout reads the layout of data, which must be valid TOML.
func parseLayout(data []byte) (*layout, error) {
	l := &layout{data: data, lines: splitLines(string(data)), comments: map[int]bool{}}
	off := 0
	for _, line := range l.lines {
		l.starts = append(l.starts, off)
		off += len(line)
	}
	var p unstable.Parser
	p.KeepComments = true
	p.Reset(data)
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Comment:
			l.comments[l.lineOf(int(e.Raw.Offset))] = true
		case unstable.Table, unstable.ArrayTable:
			parts, nodes := keyParts(e.Key())
			l.tables = append(l.tables, tableLines{
				name:   strings.Join(parts, "."),
				array:  e.Kind == unstable.ArrayTable,
				header: l.lineOf(int(nodes[0].Raw.Offset)),
			})
		case unstable.KeyValue:
			if len(l.tables) > 0 {
				parts, _ := keyParts(e.Key())
				t := &l.tables[len(l.tables)-1]
				t.keys = append(t.keys, keyValue{key: strings.Join(parts, "."), value: e.Value().Raw})
			}
		}
	}
	return l, p.Error()
}

// projectTables returns the indexes in l.tables of the [[project]]
// tables, in file order.
func (l *layout) projectTables() []int {
	var out []int
	for i, t := range l.tables {
		if t.array && t.name == "project" {
			out = append(out, i)
		}
	}
	return out
}

// span returns the lines [start, end) of table k: its header up to the
// next table's header. A comment block directly above the next header is
// about that table, so it is left out; comments directly above table k's
// own header are left out too, since they might be about what precedes
// them: an edit leaves behind a stray comment rather than lose one.
func (l *layout) span(k int) (start, end int) {
	start, end = l.tables[k].header, len(l.lines)
	if k+1 < len(l.tables) {
		end = l.tables[k+1].header
		for end-1 > start && l.comments[end-1] {
			end--
		}
	}
	return start, end
}

// remove returns the text without table k, and without the blank lines
// that would be left doubled where it was.
func (l *layout) remove(k int) []byte {
	start, end := l.span(k)
	for end < len(l.lines) && blank(l.lines[end]) && (start == 0 || blank(l.lines[start-1])) {
		end++
	}
	if end == len(l.lines) {
		for start > 0 && blank(l.lines[start-1]) {
			start--
		}
	}
	return []byte(strings.Join(l.lines[:start], "") + strings.Join(l.lines[end:], ""))
}

// setKey returns the text with table k's key set to the raw TOML value:
// the old value's bytes replaced, keeping the rest of its line (a trailing
// comment, say), or a new key line inserted after the header.
func (l *layout) setKey(k int, key, value string) []byte {
	t := l.tables[k]
	for _, kv := range t.keys {
		if kv.key == key {
			at, n := int(kv.value.Offset), int(kv.value.Length)
			return []byte(string(l.data[:at]) + value + string(l.data[at+n:]))
		}
	}
	header := l.lines[t.header]
	nl := "\n"
	if strings.HasSuffix(header, "\r\n") {
		nl = "\r\n"
	}
	line := key + " = " + value + nl
	if !strings.HasSuffix(header, "\n") {
		line = nl + line
	}
	at := l.starts[t.header] + len(header)
	return []byte(string(l.data[:at]) + line + string(l.data[at:]))
}

// lineOf is the line holding byte offset off.
func (l *layout) lineOf(off int) int {
	return sort.SearchInts(l.starts, off+1) - 1
}

// splitLines splits s after each '\n'; unlike strings.SplitAfter it
// returns no empty last line for text that ends with one.
func splitLines(s string) []string {
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

func blank(line string) bool { return strings.TrimSpace(line) == "" }

// lineStarts is the byte offset of each line of data.
func lineStarts(data []byte) []int {
	starts := []int{0}
	for i, b := range data {
		if b == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}
