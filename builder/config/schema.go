package config

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
)

// The schema is the Config struct itself, read by reflection, so the keys
// the checker accepts are exactly the keys the decoder fills.
var (
	configType   = reflect.TypeFor[Config]()
	sizeType     = reflect.TypeFor[Size]()
	durationType = reflect.TypeFor[Duration]()
)

// position is where something is written: line and column from 1.
type position struct{ line, col int }

// fileIndex maps where.id() to the position of a key's value or a
// table's header, so problems found after decoding can name a line.
type fileIndex map[string]position

// checker walks a file's syntax tree against the schema, collecting every
// unknown key and every value of the wrong type or syntax, with its
// position. go-toml's decoder stops at the first such problem and its
// strict mode reports only unknown keys; the walk reports them all.
type checker struct {
	p        unstable.Parser
	lines    []int // byte offset where each line starts
	file     string
	index    fileIndex
	errs     Errors
	projects int // [[project]] tables seen so far
}

// scope is the table keys are read into: its struct type and its place.
type scope struct {
	t reflect.Type
	w where
}

// check walks data, which must be valid TOML, and returns the positions
// of its keys and tables and the problems found.
func check(data []byte, file string) (fileIndex, Errors) {
	c := &checker{file: file, index: fileIndex{}, lines: lineStarts(data)}
	c.p.Reset(data)
	cur := &scope{t: configType}
	for c.p.NextExpression() {
		e := c.p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			cur = c.header(e)
		case unstable.KeyValue:
			// Keys under a table already reported as wrong would each
			// repeat that one mistake.
			if cur != nil {
				c.keyValue(*cur, e)
			}
		}
	}
	if err := c.p.Error(); err != nil {
		c.errs = append(c.errs, &ParseError{File: file, Msg: err.Error()})
	}
	return c.index, c.errs
}

// header opens the table a [table] or [[table]] header names and returns
// its scope, or nil after reporting a header the schema has no table for.
func (c *checker) header(e *unstable.Node) *scope {
	parts, nodes := keyParts(e.Key())
	name := strings.Join(parts, ".")
	at := c.pos(nodes[0], position{})
	array := e.Kind == unstable.ArrayTable
	written := "[" + name + "]"
	if array {
		written = "[" + written + "]"
	}
	var ft reflect.Type
	ok := false
	if len(parts) == 1 {
		ft, ok = field(configType, name)
	}
	switch {
	case !ok && len(parts) > 1 && tableOf(parts[1]) == parts[0]:
		c.fail(at, written, fmt.Sprintf("unknown table; write %s = ... under %s instead", parts[1], tableSyntax(parts[0])))
	case !ok:
		msg := "unknown table"
		if _, known := field(configType, parts[0]); known && len(parts) > 1 {
			msg += fmt.Sprintf("; %s has no tables inside it", tableSyntax(parts[0]))
		} else if s := closest(name, fieldNames(configType)); s != "" {
			msg += fmt.Sprintf("; did you mean %s?", tableSyntax(s))
		} else {
			msg += "; the tables are " + tableList()
		}
		c.fail(at, written, msg)
	case isListOfTables(ft) && !array:
		c.fail(at, written, fmt.Sprintf("write [[%s]] with double brackets: each %s is its own table in a list", name, name))
	case isListOfTables(ft):
		c.projects++
		w := where{table: name, index: c.projects}
		c.index[w.id()] = at
		return &scope{t: ft.Elem(), w: w}
	case ft.Kind() == reflect.Struct && array:
		c.fail(at, written, fmt.Sprintf("write [%s] with single brackets: there is one [%s] table", name, name))
	case ft.Kind() == reflect.Struct:
		w := where{table: name}
		c.index[w.id()] = at
		return &scope{t: ft, w: w}
	default:
		c.fail(at, written, fmt.Sprintf("%q is a key, not a table; the tables are %s", name, tableList()))
	}
	return nil
}

// keyValue checks one key = value line (or one entry of an inline table)
// read into s.
func (c *checker) keyValue(s scope, e *unstable.Node) {
	parts, nodes := keyParts(e.Key())
	t, w := s.t, s.w
	for i, part := range parts {
		ft, ok := field(t, part)
		last := i == len(parts)-1
		at := c.pos(nodes[i], position{})
		switch {
		case !ok:
			c.unknownKey(t, w, strings.Join(parts[i:], "."), at)
			return
		case isListOfTables(ft):
			if !last || e.Value().Kind != unstable.Array {
				c.fail(at, where{table: part}.String(), fmt.Sprintf("write each %s as a [[%s]] table", part, part))
				return
			}
			c.inlineTables(ft.Elem(), part, e.Value(), at)
			return
		case ft.Kind() == reflect.Struct:
			w = where{table: part}
			if last {
				c.inlineTable(ft, w, e.Value(), at)
				return
			}
			t = ft
		case !last:
			c.unknownKey(t, w, strings.Join(parts[i:], "."), at)
			return
		default:
			kw := where{table: w.table, index: w.index, key: part}
			vat := c.pos(e.Value(), at)
			c.index[kw.id()] = vat
			if msg := checkValue(ft, e.Value()); msg != "" {
				c.fail(vat, kw.String(), msg)
			}
		}
	}
}

// inlineTable checks a table written as key = { ... }.
func (c *checker) inlineTable(t reflect.Type, w where, v *unstable.Node, at position) {
	if v.Kind != unstable.InlineTable {
		c.fail(at, w.String(), fmt.Sprintf("want a table, got %s: write [%s] on its own line with its keys below it", describe(v), w.table))
		return
	}
	c.index[w.id()] = at
	c.children(scope{t: t, w: w}, v)
}

// inlineTables checks a list of tables written as key = [{ ... }, ...].
func (c *checker) inlineTables(t reflect.Type, name string, v *unstable.Node, at position) {
	it := v.Children()
	for it.Next() {
		n := it.Node()
		c.projects++
		w := where{table: name, index: c.projects}
		if n.Kind != unstable.InlineTable {
			c.fail(c.pos(n, at), w.String(), fmt.Sprintf("want a table, got %s", describe(n)))
			continue
		}
		c.index[w.id()] = c.pos(n, at)
		c.children(scope{t: t, w: w}, n)
	}
}

// children checks the entries of an inline table.
func (c *checker) children(s scope, v *unstable.Node) {
	it := v.Children()
	for it.Next() {
		if it.Node().Kind == unstable.KeyValue {
			c.keyValue(s, it.Node())
		}
	}
}

// unknownKey reports key, which t does not have, suggesting what the
// user may have meant.
func (c *checker) unknownKey(t reflect.Type, w where, key string, at position) {
	msg := "unknown key"
	first, _, _ := strings.Cut(key, ".")
	if s := closest(first, fieldNames(t)); s != "" && t != configType {
		msg += fmt.Sprintf("; did you mean %q?", s)
	} else if home := tableOf(first); home != "" && home != w.table {
		msg += fmt.Sprintf("; %q belongs in %s", first, tableSyntax(home))
	} else if t == configType {
		msg += "; keys go in one of the tables " + tableList()
	} else {
		msg += fmt.Sprintf("; %s takes %s", tableSyntax(w.table), strings.Join(fieldNames(t), ", "))
	}
	c.fail(at, where{table: w.table, index: w.index, key: key}.String(), msg)
}

func (c *checker) fail(at position, key, msg string) {
	c.errs = append(c.errs, &ParseError{File: c.file, Line: at.line, Col: at.col, Key: key, Msg: msg})
}

// pos is where n starts, or def for nodes the parser gives no range
// (arrays). The parser's own Shape counts lines from the start of the
// file at every call, which made a check quadratic in the number of keys;
// a search of the line starts keeps it linear.
func (c *checker) pos(n *unstable.Node, def position) position {
	if n == nil || n.Raw.Length == 0 {
		return def
	}
	off := int(n.Raw.Offset)
	line := sort.SearchInts(c.lines, off+1) - 1
	return position{line: line + 1, col: off - c.lines[line] + 1}
}

// checkValue returns what is wrong with v as a value of type t, or "".
func checkValue(t reflect.Type, v *unstable.Node) string {
	switch {
	case t == sizeType:
		switch v.Kind {
		case unstable.String:
			if _, err := ParseSize(string(v.Data)); err != nil {
				return err.Error()
			}
			return ""
		case unstable.Integer:
			if n, err := strconv.ParseInt(string(v.Data), 0, 64); err != nil || n < 0 {
				return fmt.Sprintf("invalid size %s: want 0 or more bytes, or a string such as \"8G\"", v.Data)
			}
			return ""
		}
		return wrongType(`a size such as "8G"`, v)
	case t == durationType:
		switch v.Kind {
		case unstable.String:
			if _, err := ParseDuration(string(v.Data)); err != nil {
				return err.Error()
			}
			return ""
		case unstable.Integer:
			// 0 reads naturally for "off"; any other bare number lacks
			// its unit.
			if n, err := strconv.ParseInt(string(v.Data), 0, 64); err == nil && n == 0 {
				return ""
			}
			return fmt.Sprintf("a duration needs a unit: write it as a string such as \"%ss\" or \"%sm\"", v.Data, v.Data)
		}
		return wrongType(`a duration such as "30m"`, v)
	}
	switch t.Kind() {
	case reflect.String:
		if v.Kind != unstable.String {
			return wrongType("a string in quotes", v)
		}
	case reflect.Bool:
		if v.Kind != unstable.Bool {
			return wrongType("true or false", v)
		}
	case reflect.Pointer:
		return checkValue(t.Elem(), v)
	case reflect.Int:
		if v.Kind != unstable.Integer {
			return wrongType("a whole number", v)
		}
		if _, err := strconv.ParseInt(string(v.Data), 0, strconv.IntSize); err != nil {
			return fmt.Sprintf("%s is out of range", v.Data)
		}
	case reflect.Slice:
		if v.Kind != unstable.Array {
			return wrongType("a list of strings", v)
		}
		it := v.Children()
		for i := 1; it.Next(); i++ {
			if it.Node().Kind != unstable.String {
				return fmt.Sprintf("element %d: want a string in quotes, got %s", i, describe(it.Node()))
			}
		}
	}
	return ""
}

func wrongType(want string, v *unstable.Node) string {
	return fmt.Sprintf("want %s, got %s", want, describe(v))
}

// describe names a value for a message.
func describe(v *unstable.Node) string {
	switch v.Kind {
	case unstable.String:
		s := string(v.Data)
		if len(s) > 40 {
			s = s[:40] + "…"
		}
		return fmt.Sprintf("the string %q", s)
	case unstable.Integer, unstable.Float:
		return "the number " + string(v.Data)
	case unstable.Bool:
		return string(v.Data)
	case unstable.Array:
		return "a list"
	case unstable.InlineTable:
		return "a table"
	}
	return "a date or time"
}

// keyParts returns the parts of a dotted key and their nodes.
func keyParts(it unstable.Iterator) ([]string, []*unstable.Node) {
	var parts []string
	var nodes []*unstable.Node
	for it.Next() {
		parts = append(parts, string(it.Node().Data))
		nodes = append(nodes, it.Node())
	}
	return parts, nodes
}

// field returns the type of the field of struct t that the TOML key name
// fills.
func field(t reflect.Type, name string) (reflect.Type, bool) {
	for i := range t.NumField() {
		if tomlName(t.Field(i)) == name {
			return t.Field(i).Type, true
		}
	}
	return nil, false
}

func fieldNames(t reflect.Type) []string {
	names := make([]string, t.NumField())
	for i := range names {
		names[i] = tomlName(t.Field(i))
	}
	return names
}

func tomlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
	return name
}

func isListOfTables(t reflect.Type) bool {
	return t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct
}

// tableOf is the table that has a key named key, or "".
func tableOf(key string) string {
	for i := range configType.NumField() {
		f := configType.Field(i)
		t := f.Type
		if isListOfTables(t) {
			t = t.Elem()
		}
		if _, ok := field(t, key); ok {
			return tomlName(f)
		}
	}
	return ""
}

// tableSyntax is how the header of the top-level table name is written.
func tableSyntax(name string) string {
	if t, ok := field(configType, name); ok && isListOfTables(t) {
		return "[[" + name + "]]"
	}
	return "[" + name + "]"
}

// tableList lists the tables a config file may have.
func tableList() string {
	names := fieldNames(configType)
	for i, n := range names {
		names[i] = tableSyntax(n)
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// closest is the candidate close enough to s to be what a typo meant:
// within one edit per three letters (a swap of two letters is two), or "".
func closest(s string, candidates []string) string {
	best, bestD := "", max(1, len(s)/3)+1
	for _, c := range candidates {
		if d := editDistance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
