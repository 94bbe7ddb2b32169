package config

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/gofrs/flock"
	"github.com/google/renameio/v2"
)

// lockTimeout bounds the wait for another process's edit, which takes
// milliseconds; a lock held this long belongs to a process that is stuck.
const lockTimeout = 10 * time.Second

// AddProject registers p in the config file at path by appending a
// [[project]] table with the keys p sets, leaving the rest of the file as
// it is. A missing file is created, with its folders, holding the
// commented reference Render writes. Adding a folder that is registered
// returns an error wrapping ErrProjectExists.
func AddProject(path string, p Project) error {
	p.Path = filepath.Clean(p.Path)
	if err := p.Validate(); err != nil {
		return fmt.Errorf("add project: %w", err)
	}
	return edit(path, true, func(data []byte, exists bool, c *Config) ([]byte, error) {
		if c.projectIndex(p.Path) >= 0 {
			return nil, fmt.Errorf("add project %q: %w", p.Path, ErrProjectExists)
		}
		if !exists {
			nc := Default()
			nc.Projects = []Project{p}
			return Render(nc)
		}
		out := bytes.Clone(data)
		if len(out) > 0 && !bytes.HasSuffix(out, []byte("\n")) {
			out = append(out, '\n')
		}
		if len(bytes.TrimSpace(out)) > 0 && !bytes.HasSuffix(out, []byte("\n\n")) {
			out = append(out, '\n')
		}
		return append(out, renderProject(p)...), nil
	}, func(before, after *Config) bool {
		return after.projectIndex(p.Path) >= 0 && len(after.Projects) == len(before.Projects)+1
	})
}

// RemoveProject unregisters the folder dir by deleting its [[project]]
// table from the config file at path: the lines from its header to the
// next table's header, leaving alone any comment block directly above
// either header. A folder that is not registered returns an error
// wrapping ErrProjectNotFound.
func RemoveProject(path, dir string) error {
	dir = filepath.Clean(dir)
	return edit(path, false, func(data []byte, _ bool, c *Config) ([]byte, error) {
		l, k, err := projectTable(data, c, dir, "remove")
		if err != nil {
			return nil, err
		}
		return l.remove(k), nil
	}, func(before, after *Config) bool {
		return after.projectIndex(dir) < 0 && len(after.Projects) == len(before.Projects)-1
	})
}

// SetProjectWatch turns rebuilding on changes on or off for the folder
// dir, by rewriting the value of the watch key in its [[project]] table,
// or adding a watch line after the header when the table has none. A
// project already in that state leaves the file untouched. A folder that
// is not registered returns an error wrapping ErrProjectNotFound.
func SetProjectWatch(path, dir string, watch bool) error {
	dir = filepath.Clean(dir)
	return edit(path, false, func(data []byte, _ bool, c *Config) ([]byte, error) {
		l, k, err := projectTable(data, c, dir, "set watch of")
		if err != nil {
			return nil, err
		}
		if c.Projects[c.projectIndex(dir)].Watching() == watch {
			return data, nil
		}
		return l.setKey(k, "watch", strconv.FormatBool(watch)), nil
	}, func(before, after *Config) bool {
		p, ok := after.Project(dir)
		return ok && p.Watching() == watch && len(after.Projects) == len(before.Projects)
	})
}

// SetCacheKey points the [cache] table of the config file at path at a
// signing key: secret_key_file = secretFile and public_key = publicKey,
// rewriting those two values in place (comments and layout kept), adding
// them under the [cache] header, or appending a [cache] table when the
// file has none. A missing file is created holding the commented
// reference Render writes.
func SetCacheKey(path, secretFile, publicKey string) error {
	want := Cache{SecretKeyFile: secretFile, PublicKey: publicKey}
	return edit(path, true, func(data []byte, exists bool, c *Config) ([]byte, error) {
		if !exists {
			nc := Default()
			nc.Cache = want
			return Render(nc)
		}
		l, err := parseLayout(data)
		if err != nil {
			return nil, fmt.Errorf("set cache key: %w", err)
		}
		for k, t := range l.tables {
			if t.name == "cache" && !t.array {
				out := l.setKey(k, "secret_key_file", quote(secretFile))
				if l, err = parseLayout(out); err != nil {
					return nil, fmt.Errorf("set cache key: %w", err)
				}
				return l.setKey(k, "public_key", quote(publicKey)), nil
			}
		}
		out := bytes.Clone(data)
		if len(out) > 0 && !bytes.HasSuffix(out, []byte("\n")) {
			out = append(out, '\n')
		}
		if len(bytes.TrimSpace(out)) > 0 {
			out = append(out, '\n')
		}
		return fmt.Appendf(out, "[cache]\npublic_key = %s\nsecret_key_file = %s\n", quote(publicKey), quote(secretFile)), nil
	}, func(before, after *Config) bool {
		return after.Cache.SecretKeyFile == secretFile && after.Cache.PublicKey == publicKey &&
			len(after.Projects) == len(before.Projects)
	})
}

// projectTable finds the table of dir's project in data, which c was
// parsed from.
func projectTable(data []byte, c *Config, dir, verb string) (*layout, int, error) {
	i := c.projectIndex(dir)
	if i < 0 {
		return nil, 0, fmt.Errorf("%s project %q: %w", verb, dir, ErrProjectNotFound)
	}
	l, err := parseLayout(data)
	if err != nil {
		return nil, 0, fmt.Errorf("%s project %q: %w", verb, dir, err)
	}
	tables := l.projectTables()
	if len(tables) != len(c.Projects) {
		return nil, 0, fmt.Errorf("%s project %q: the config file lists projects other than as [[project]] tables; write each project as its own [[project]] table so nixpass can edit it", verb, dir)
	}
	return l, tables[i], nil
}

// edit changes the config file at path under an exclusive lock: it reads
// the file, refuses to go on if the file does not load (a broken file is
// never rewritten), applies change, loads the result and checks it with
// done, and only then replaces the file atomically, keeping its
// permissions. create allows a missing file (and its folders) to be
// created; without it a missing file is edited as an empty one but never
// written.
func edit(path string, create bool, change func(data []byte, exists bool, c *Config) ([]byte, error), done func(before, after *Config) bool) error {
	// Edit the file a symlink points at: replacing the link with a file
	// would cut it loose from, say, a dotfiles repository.
	target := path
	if real, err := filepath.EvalSymlinks(path); err == nil {
		target = real
	}
	if !create {
		if _, err := os.Stat(target); errors.Is(err, fs.ErrNotExist) {
			_, err := change(nil, false, Default())
			return err
		}
	} else if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create config folder: %w", err)
	}

	unlock, err := lock(path)
	if err != nil {
		return err
	}
	defer unlock()

	exists := true
	data, err := os.ReadFile(target)
	if errors.Is(err, fs.ErrNotExist) {
		exists, data = false, nil
	} else if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	before, err := Parse(bytes.NewReader(data), path)
	if err != nil {
		return err
	}
	out, err := change(data, exists, before)
	if err != nil {
		return err
	}
	if exists && bytes.Equal(out, data) {
		return nil
	}
	after, err := Parse(bytes.NewReader(out), path)
	if err != nil {
		return fmt.Errorf("edit %s: the edited file would not load, so the file was left as it was: %w", path, err)
	}
	if !done(before, after) {
		return fmt.Errorf("edit %s: the edit did not come out as intended, so the file was left as it was; please report this", path)
	}
	if err := renameio.WriteFile(target, out, 0o600); err != nil {
		return fmt.Errorf("save config: %w", err)
	}
	return nil
}

// lock takes the exclusive lock on path+".lock" that every nixpass
// process takes to edit the config file at path.
func lock(path string) (unlock func(), err error) {
	l := flock.New(path + ".lock")
	ctx, cancel := context.WithTimeout(context.Background(), lockTimeout)
	defer cancel()
	ok, err := l.TryLockContext(ctx, 10*time.Millisecond)
	if !ok {
		l.Close()
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("lock config %s: another nixpass process has been editing it for %s; try again", path, lockTimeout)
		}
		return nil, fmt.Errorf("lock config %s: %w", path, err)
	}
	return func() { l.Unlock() }, nil
}
