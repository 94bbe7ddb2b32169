package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	toml "github.com/pelletier/go-toml/v2"
)

// Parse reads a configuration named filename (used in messages only),
// fills the keys it leaves out from Default, and validates it. It is
// strict: unknown keys are errors. On failure it returns Errors listing
// every problem found, each naming the file, line, column and key; a
// syntax error stops it at the first one.
func Parse(r io.Reader, filename string) (*Config, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", filename, err)
	}
	// Syntax and duplicate keys first: the schema walk needs a document
	// that is valid TOML.
	var doc map[string]any
	if err := toml.Unmarshal(data, &doc); err != nil {
		return nil, decodeError(err, filename)
	}
	index, errs := check(data, filename)
	if len(errs) > 0 {
		return nil, errs
	}
	c := Default()
	if err := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields().Decode(c); err != nil {
		return nil, decodeError(err, filename)
	}
	probs := c.problems()
	// An empty output would silently mean the default file: say so
	// instead, since the key was written on purpose.
	for i, p := range c.Projects {
		w := where{table: "project", index: i + 1, key: "output"}
		if _, set := index[w.id()]; set && p.Output == "" {
			probs = append(probs, problem{w: w, msg: fmt.Sprintf(`is empty: remove the key for the default %q, or name the image file`, DefaultOutput)})
		}
	}
	if len(probs) > 0 {
		return nil, index.locate(probs, filename)
	}
	return c, nil
}

// decodeError turns a go-toml error into Errors.
func decodeError(err error, file string) error {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) {
		var out Errors
		for _, de := range strict.Errors {
			line, col := de.Position()
			out = append(out, &ParseError{File: file, Line: line, Col: col, Key: strings.Join(de.Key(), "."), Msg: "unknown key"})
		}
		return out
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, col := de.Position()
		return Errors{{File: file, Line: line, Col: col, Key: strings.Join(de.Key(), "."),
			Msg: strings.TrimPrefix(de.Error(), "toml: ")}}
	}
	return Errors{{File: file, Msg: err.Error()}}
}

// locate gives each problem the position of its key, or failing that of
// a related key the file does set, or of its table's header.
func (ix fileIndex) locate(probs []problem, file string) Errors {
	out := make(Errors, 0, len(probs))
	for _, p := range probs {
		e := &ParseError{File: file, Key: p.w.String(), Msg: p.msg}
		for _, w := range append([]where{p.w}, p.alt...) {
			if at, ok := ix[w.id()]; ok {
				e.Key, e.Line, e.Col = w.String(), at.line, at.col
				break
			}
		}
		if e.Line == 0 {
			if at, ok := ix[p.w.header().id()]; ok {
				e.Line, e.Col = at.line, at.col
			}
		}
		out = append(out, e)
	}
	slices.SortStableFunc(out, func(a, b *ParseError) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Col - b.Col
	})
	return out
}
