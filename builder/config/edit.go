package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gofrs/flock"
	"github.com/google/renameio/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// ErrProjectExists is returned when adding a folder that is registered.
var ErrProjectExists = errors.New("project already registered")

// ErrProjectNotFound is returned when a folder is not registered.
var ErrProjectNotFound = errors.New("project not registered")

const header = `# nixpass configuration. Every key is described in nixpass's README.
# nixpass edits this file in place and keeps your comments.

`

// AddProject registers p in the config file at path, appending a
// [[project]] table and keeping the rest of the file as it is.
func AddProject(path string, p Project) error {
	p.Path = filepath.Clean(p.Path)
	if errs := p.Check(); len(errs) > 0 {
		return errs
	}
	return edit(path, func(data []byte, c *Config) ([]byte, error) {
		if _, ok := c.Project(p.Path); ok {
			return nil, fmt.Errorf("%s: %w", p.Path, ErrProjectExists)
		}
		if len(data) == 0 {
			data = []byte(header)
		} else if !bytes.HasSuffix(data, []byte("\n")) {
			data = append(data, '\n')
		}
		if len(data) > 0 && !bytes.HasSuffix(data, []byte("\n\n")) {
			data = append(data, '\n')
		}
		return append(data, renderProject(p)...), nil
	})
}

// RemoveProject deletes the [[project]] table of dir from the file.
func RemoveProject(path, dir string) error {
	return edit(path, func(data []byte, c *Config) ([]byte, error) {
		start, end, err := projectSpan(data, c, dir)
		if err != nil {
			return nil, err
		}
		lines := splitLines(data)
		// Drop blank lines left behind before the next table.
		for end < len(lines) && strings.TrimSpace(lines[end]) == "" && start > 0 && strings.TrimSpace(lines[start-1]) == "" {
			end++
		}
		return []byte(strings.Join(append(lines[:start:start], lines[end:]...), "")), nil
	})
}

// SetProjectWatch sets watch = on in the table of dir.
func SetProjectWatch(path, dir string, on bool) error {
	return edit(path, func(data []byte, c *Config) ([]byte, error) {
		start, end, err := projectSpan(data, c, dir)
		if err != nil {
			return nil, err
		}
		lines := splitLines(data)
		line := "watch = " + strconv.FormatBool(on) + "\n"
		for i := start + 1; i < end; i++ {
			if k, _, ok := strings.Cut(strings.TrimSpace(lines[i]), "="); ok && strings.TrimSpace(k) == "watch" {
				lines[i] = line
				return []byte(strings.Join(lines, "")), nil
			}
		}
		out := append(append(append([]string{}, lines[:start+1]...), line), lines[start+1:]...)
		return []byte(strings.Join(out, "")), nil
	})
}

// edit runs fn on the current text of the file under an exclusive lock,
// validates what fn returns by parsing it, and replaces the file
// atomically. A file that does not parse is never rewritten.
func edit(path string, fn func(data []byte, c *Config) ([]byte, error)) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("edit config: %w", err)
	}
	lock := flock.New(path + ".lock")
	if err := lock.Lock(); err != nil {
		return fmt.Errorf("lock config: %w", err)
	}
	defer lock.Unlock()
	mode := fs.FileMode(0o644)
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		data = nil
	case err != nil:
		return fmt.Errorf("read config: %w", err)
	default:
		if st, err := os.Stat(path); err == nil {
			mode = st.Mode().Perm()
		}
	}
	c, err := Parse(bytes.NewReader(data), path)
	if err != nil {
		return err
	}
	out, err := fn(data, c)
	if err != nil {
		return err
	}
	if _, err := Parse(bytes.NewReader(out), path); err != nil {
		return fmt.Errorf("edit config: the change would not parse, file left as it was: %w", err)
	}
	if err := renameio.WriteFile(path, out, mode); err != nil {
		return fmt.Errorf("save config: %w", err)
	}
	return nil
}

// projectSpan returns the line range [start, end) of dir's [[project]]
// table: its header up to the next table header.
func projectSpan(data []byte, c *Config, dir string) (int, int, error) {
	dir = filepath.Clean(dir)
	idx := -1
	for i, p := range c.Projects {
		if filepath.Clean(p.Path) == dir {
			idx = i
		}
	}
	if idx < 0 {
		return 0, 0, fmt.Errorf("%s: %w", dir, ErrProjectNotFound)
	}
	var heads []int // line index (0-based) of every table header
	var projects []int
	var p unstable.Parser
	p.Reset(data)
	for p.NextExpression() {
		e := p.Expression()
		if e.Kind != unstable.Table && e.Kind != unstable.ArrayTable {
			continue
		}
		name, first := dotted(e.Key())
		if first == nil {
			continue
		}
		l := p.Shape(first.Raw).Start.Line - 1
		heads = append(heads, l)
		if e.Kind == unstable.ArrayTable && name == "project" {
			projects = append(projects, l)
		}
	}
	if idx >= len(projects) {
		return 0, 0, fmt.Errorf("%s: project table not found in the file", dir)
	}
	start := projects[idx]
	end := len(splitLines(data))
	for _, h := range heads {
		if h > start && h < end {
			end = h
		}
	}
	return start, end, nil
}

// splitLines splits keeping each line's newline.
func splitLines(data []byte) []string {
	return strings.SplitAfter(string(data), "\n")
}

// renderProject writes p as a [[project]] table with TOML-quoted strings.
func renderProject(p Project) string {
	var b strings.Builder
	b.WriteString("[[project]]\n")
	kv := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%s = %s\n", k, quote(v))
		}
	}
	kv("path", p.Path)
	kv("file", p.File)
	kv("flake", p.Flake)
	kv("attr", p.Attr)
	if len(p.Args) > 0 {
		q := make([]string, len(p.Args))
		for i, a := range p.Args {
			q[i] = quote(a)
		}
		fmt.Fprintf(&b, "args = [%s]\n", strings.Join(q, ", "))
	}
	kv("output", p.Output)
	if p.Watch != nil {
		fmt.Fprintf(&b, "watch = %t\n", *p.Watch)
	}
	if p.DockerLoad {
		b.WriteString("docker_load = true\n")
	}
	return b.String()
}

// quote renders s as a TOML basic string.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
