package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"nixpass/builder/redact"
)

// tightenedMarker, in the state folder, records that Tighten has run.
const tightenedMarker = ".private-v1"

// Tighten makes nixpass's own folders private, as this version creates
// them: the state and log folders and everything in them, the config file
// and, when it is nixpass's own ("…/nixpass"), the config folder. Folders
// become 0700 and files 0600 (0700 when executable) wherever older
// versions left them readable to others. It runs once per state folder (a
// marker there records it) and returns one line per path it changed, for
// the log. Symlinks are not followed; a path it cannot change is
// reported in err and the rest still tightened.
func Tighten(state, logs, config string) (changed []string, err error) {
	marker := filepath.Join(state, tightenedMarker)
	if _, err := os.Lstat(marker); err == nil {
		return nil, nil
	}
	var errs []error
	walk := func(root string) {
		werr := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if !errors.Is(err, fs.ErrNotExist) {
					errs = append(errs, err)
				}
				return nil
			}
			if c, err := tightenOne(p, d); err != nil {
				errs = append(errs, err)
			} else if c != "" {
				changed = append(changed, c)
			}
			return nil
		})
		if werr != nil {
			errs = append(errs, werr)
		}
	}
	walk(state)
	if !within(state, logs) {
		walk(logs)
	}
	if dir := filepath.Dir(config); filepath.Base(dir) == "nixpass" && !within(state, dir) {
		walk(dir)
	} else if st, err := os.Lstat(config); err == nil {
		if c, err := tightenOne(config, fs.FileInfoToDirEntry(st)); err != nil {
			errs = append(errs, err)
		} else if c != "" {
			changed = append(changed, c)
		}
	}
	if len(errs) == 0 {
		if st, err := os.Stat(state); err == nil && st.IsDir() {
			_ = os.WriteFile(marker, nil, 0o600)
		}
	}
	return changed, errors.Join(errs...)
}

// tightenOne sets the private mode of one folder or file looser than it,
// and says what it did ("" for nothing).
func tightenOne(p string, d fs.DirEntry) (string, error) {
	if d.Type()&fs.ModeSymlink != 0 || (!d.IsDir() && !d.Type().IsRegular()) {
		return "", nil
	}
	info, err := d.Info()
	if err != nil {
		return "", err
	}
	mode := info.Mode().Perm()
	if mode&0o077 == 0 {
		return "", nil
	}
	want := fs.FileMode(0o600)
	if d.IsDir() || mode&0o100 != 0 {
		want = 0o700
	}
	if err := os.Chmod(p, want); err != nil {
		return "", fmt.Errorf("make %s private: %w", p, err)
	}
	return fmt.Sprintf("%s: %04o → %04o", p, mode, want), nil
}

func within(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

// Warnings are what a loaded config holds that works but should be done
// otherwise: today, URLs with a user name or token in them, which Nix
// prints in its messages and which no mask can keep off every command
// line. Each names the key, with the URL masked.
func (c *Config) Warnings() []string {
	var out []string
	warn := func(key, value string) {
		if redact.HasUserInfo(value) {
			out = append(out, fmt.Sprintf("%s: %s carries a user name or token in the URL; put the credentials in a netrc file instead (see docs/remote-builders.md: netrc-file, the daemon's /etc/nix/netrc, or [builder] netrc_file for the VM; access-tokens for private flake inputs)", key, redact.URLs(value)))
		}
	}
	for i, s := range c.Builder.Substituters {
		warn(fmt.Sprintf("[builder] substituters element %d", i+1), s)
	}
	warn("[cache] url", c.Cache.URL)
	warn("[cache] upload", c.Cache.Upload)
	if c.Builder.NetrcFile != "" && c.Builder.Backend == BackendLocal {
		out = append(out, "[builder] netrc_file: the local backend does not install it; Nix reads its own netrc-file (see docs/remote-builders.md)")
	}
	for i, p := range c.Projects {
		warn(fmt.Sprintf("[[project]] #%d flake", i+1), p.Flake)
		for _, a := range p.Args {
			warn(fmt.Sprintf("[[project]] #%d args", i+1), a)
		}
	}
	return out
}

// ProjectWarnings are Warnings for one project, as `add` checks it.
func ProjectWarnings(p Project) []string {
	c := Config{Projects: []Project{p}}
	var out []string
	for _, w := range c.Warnings() {
		out = append(out, strings.Replace(w, "[[project]] #1 ", "", 1))
	}
	return out
}
