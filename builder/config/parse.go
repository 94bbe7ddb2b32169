package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	toml "github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// ParseError is one problem in a config file, with where it is.
type ParseError struct {
	File      string
	Line, Col int
	// Key is the dotted key, e.g. "vm.memory" or "project[2].output".
	Key string
	Msg string
}

// Error formats the problem as FILE:LINE: KEY: MSG.
func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in one file.
type Errors []*ParseError

// Error joins the problems, one per line.
func (es Errors) Error() string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// Parse reads a config, filling unset keys with Default(), and validates
// it. Every error names filename, the line and the key.
func Parse(r io.Reader, filename string) (*Config, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", filename, err)
	}
	c := Default()
	dec := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields()
	if err := dec.Decode(c); err != nil {
		return nil, decodeErrors(err, filename)
	}
	pos := indexPositions(data)
	if errs := c.validate(); len(errs) > 0 {
		for _, e := range errs {
			e.File = filename
			e.Line = pos.line(e.Key)
		}
		return nil, errs
	}
	return c, nil
}

func decodeErrors(err error, file string) error {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) {
		var out Errors
		for _, de := range strict.Errors {
			row, col := de.Position()
			out = append(out, &ParseError{File: file, Line: row, Col: col, Key: keyString(de.Key()), Msg: "unknown key (see README for the keys nixpass reads)"})
		}
		return out
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, col := de.Position()
		msg := strings.TrimPrefix(de.Error(), "toml: ")
		if i := strings.Index(msg, "cannot decode TOML "); i >= 0 {
			msg = "wrong type: " + strings.SplitN(msg[i+len("cannot decode "):], " into ", 2)[0] + " is not allowed here"
		}
		return Errors{{File: file, Line: row, Col: col, Key: keyString(de.Key()), Msg: msg}}
	}
	return Errors{{File: file, Msg: err.Error()}}
}

// keyString renders a go-toml key path, numbering [[project]] tables.
func keyString(k toml.Key) string { return strings.Join(k, ".") }

// positions maps dotted keys ("vm.memory", "project[1].path",
// "project[1]") to the line they are written on.
type positions map[string]int

func (p positions) line(key string) int {
	for k := key; k != ""; {
		if l, ok := p[k]; ok {
			return l
		}
		i := strings.LastIndexAny(k, ".[")
		if i < 0 {
			break
		}
		k = k[:i]
	}
	return 0
}

func indexPositions(data []byte) positions {
	pos := positions{}
	var p unstable.Parser
	p.Reset(data)
	table := ""
	arrays := map[string]int{}
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			name, first := dotted(e.Key())
			if e.Kind == unstable.ArrayTable {
				arrays[name]++
				name = fmt.Sprintf("%s[%d]", name, arrays[name])
			}
			table = name
			if first != nil {
				pos[table] = p.Shape(first.Raw).Start.Line
			}
		case unstable.KeyValue:
			name, first := dotted(e.Key())
			if table != "" {
				name = table + "." + name
			}
			if first != nil {
				pos[name] = p.Shape(first.Raw).Start.Line
			}
		}
	}
	return pos
}

func dotted(it unstable.Iterator) (string, *unstable.Node) {
	var parts []string
	var first *unstable.Node
	for it.Next() {
		n := it.Node()
		if first == nil {
			first = n
		}
		parts = append(parts, string(n.Data))
	}
	return strings.Join(parts, "."), first
}

var vmName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]*$`)

// Validate checks a configuration built in code; errors carry no line.
func (c *Config) Validate() error {
	if errs := c.validate(); len(errs) > 0 {
		return errs
	}
	return nil
}

func (c *Config) validate() Errors {
	var errs Errors
	bad := func(key, format string, a ...any) {
		errs = append(errs, &ParseError{Key: key, Msg: fmt.Sprintf(format, a...)})
	}
	switch c.Builder.Backend {
	case "multipass", "local":
	default:
		bad("builder.backend", "must be \"multipass\" or \"local\", not %q", c.Builder.Backend)
	}
	if c.Builder.Multipass == "" {
		bad("builder.multipass", "must name the multipass CLI")
	}
	if c.Builder.Timeout <= 0 {
		bad("builder.timeout", "must be more than zero")
	}
	if !vmName.MatchString(c.VM.Name) {
		bad("vm.name", "%q is not a valid Multipass instance name: letters, digits and '-', starting with a letter", c.VM.Name)
	}
	if c.VM.CPUs < 1 {
		bad("vm.cpus", "must be at least 1")
	}
	if c.VM.Memory < 512<<20 {
		bad("vm.memory", "must be at least 512M (Multipass' minimum); 4G or more is wise for image builds")
	}
	if c.VM.Disk < 1<<30 {
		bad("vm.disk", "must be at least 1G (Multipass' minimum)")
	}
	if c.VM.Image == "" {
		bad("vm.image", "must name an Ubuntu image, e.g. \"24.04\"")
	}
	if c.Scheduler.Quiet <= 0 {
		bad("scheduler.quiet", "must be more than zero")
	}
	if c.Scheduler.MaxWait < c.Scheduler.Quiet {
		bad("scheduler.max_wait", "must be at least scheduler.quiet (%s)", c.Scheduler.Quiet)
	}
	switch c.Scheduler.OnQuit {
	case "cancel", "finish":
	default:
		bad("scheduler.on_quit", "must be \"cancel\" or \"finish\", not %q", c.Scheduler.OnQuit)
	}
	seen := map[string]int{}
	for i, p := range c.Projects {
		key := "project[" + strconv.Itoa(i+1) + "]"
		for _, e := range p.Check() {
			bad(key+"."+e.Key, "%s", e.Msg)
		}
		if p.Path != "" {
			if j, dup := seen[filepath.Clean(p.Path)]; dup {
				bad(key+".path", "%s is already registered as project #%d", p.Path, j)
			}
			seen[filepath.Clean(p.Path)] = i + 1
		}
	}
	return errs
}

// Check validates one project on its own; keys in the errors are the
// project's own (e.g. "output").
func (p Project) Check() Errors {
	var errs Errors
	bad := func(key, format string, a ...any) {
		errs = append(errs, &ParseError{Key: key, Msg: fmt.Sprintf(format, a...)})
	}
	switch {
	case p.Path == "":
		bad("path", "is required")
	case !filepath.IsAbs(p.Path):
		bad("path", "%q must be an absolute path", p.Path)
	}
	if p.File != "" && p.Flake != "" {
		bad("flake", "set either file or flake, not both")
	}
	if p.Flake != "" && p.Attr != "" {
		bad("attr", "applies to file projects; put the attribute in the flake reference (\".#image\")")
	}
	if p.Flake != "" && len(p.Args) > 0 {
		bad("args", "--arg/--argstr apply to file projects only")
	}
	if len(p.Args)%3 != 0 {
		bad("args", "must be --arg/--argstr NAME VALUE triples")
	} else {
		for i := 0; i < len(p.Args); i += 3 {
			if p.Args[i] != "--arg" && p.Args[i] != "--argstr" {
				bad("args", "%q is not --arg or --argstr", p.Args[i])
			}
		}
	}
	out := p.Output
	if out != "" && (strings.ContainsAny(out, "/\x00") || out == "." || out == ".." || isOutLink(out)) {
		bad("output", "%q must be a plain file name, and not \"result\" or \"result-*\" (Nix's out-links)", out)
	}
	return errs
}
