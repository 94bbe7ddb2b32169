package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"nixpass/builder/redact"
)

// ErrProjectExists is returned, wrapped with the folder, by AddProject
// when the folder is already registered; remove it first to register it
// with other settings.
var ErrProjectExists = errors.New("already registered")

// ErrProjectNotFound is returned, wrapped with the folder, when an edit
// names a folder that is not registered.
var ErrProjectNotFound = errors.New("not registered")

// ParseError is one problem in a configuration: where it is and what is
// wrong.
type ParseError struct {
	// File is the file name given to Parse; empty for Validate.
	File string
	// Line and Col locate the problem, counting from 1; 0 when unknown,
	// as for a configuration built in code.
	Line, Col int
	// Key names the key or table as a reader finds it in the file:
	// "vm.memory", "[vm]", "[[project]] #2" or
	// `[[project]] #2 key "output"`; empty for syntax errors.
	Key string
	// Msg says what is wrong and what to write instead.
	Msg string
}

// Error formats the problem as FILE:LINE:COL: KEY: MSG, leaving out what
// is unknown. A value it quotes has the user info of its URLs masked.
func (e *ParseError) Error() string {
	var b strings.Builder
	loc := e.File
	if e.Line > 0 {
		if loc == "" {
			loc = "line"
		}
		loc += ":" + strconv.Itoa(e.Line)
		if e.Col > 0 {
			loc += ":" + strconv.Itoa(e.Col)
		}
	}
	if loc != "" {
		b.WriteString(loc + ": ")
	}
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(redact.URLs(e.Msg))
	return b.String()
}

// Errors is every problem found in one configuration, in file order.
// errors.As finds the first *ParseError in it.
type Errors []*ParseError

// Error lists the problems, one per line.
func (es Errors) Error() string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// Unwrap returns the problems for errors.Is and errors.As.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// where names a key or table of the configuration, both for messages and
// to look up the line it is written on.
type where struct {
	table string // "vm", "project"; "" for the top level
	index int    // 1-based number of a [[project]] table; 0 elsewhere
	key   string // key inside the table; "" for the table itself
}

// String names the place for a reader.
func (w where) String() string {
	switch {
	case w.index > 0 && w.key == "":
		return fmt.Sprintf("[[%s]] #%d", w.table, w.index)
	case w.index > 0:
		return fmt.Sprintf("[[%s]] #%d key %q", w.table, w.index, w.key)
	case w.table == "":
		return fmt.Sprintf("key %q", w.key)
	case w.key == "":
		return "[" + w.table + "]"
	}
	return w.table + "." + w.key
}

// id is the place's key in a fileIndex.
func (w where) id() string {
	s := w.table
	if w.index > 0 {
		s += "#" + strconv.Itoa(w.index)
	}
	if w.key != "" {
		if s != "" {
			s += "."
		}
		s += w.key
	}
	return s
}

// header is the place of the table w is in.
func (w where) header() where { return where{table: w.table, index: w.index} }
