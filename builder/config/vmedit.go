package config

import (
	"bytes"
	"fmt"
)

// SetVMMemory writes size as [vm] memory in the config file at path, the
// way the other edits do: the value of the memory line is replaced (a
// memory line is added after the [vm] header when the table has none, and
// a [vm] table at the end of the file when there is none), and every other
// byte, comments included, stays. An out-of-memory build that grew the VM
// writes its new size here, so a recreated VM gets it (issue 18, item 2).
func SetVMMemory(path string, size Size) error {
	return edit(path, true, func(data []byte, exists bool, c *Config) ([]byte, error) {
		if c.VM.Memory == size && exists {
			return data, nil
		}
		l, err := parseLayout(data)
		if err != nil {
			return nil, fmt.Errorf("set [vm] memory: %w", err)
		}
		for k, t := range l.tables {
			if !t.array && t.name == "vm" {
				return l.setKey(k, "memory", quote(size.String())), nil
			}
		}
		out := bytes.Clone(data)
		if len(out) > 0 && !bytes.HasSuffix(out, []byte("\n")) {
			out = append(out, '\n')
		}
		return append(out, fmt.Sprintf("\n[vm]\nmemory = %s\n", quote(size.String()))...), nil
	}, func(before, after *Config) bool {
		return after.VM.Memory == size && len(after.Projects) == len(before.Projects)
	})
}
