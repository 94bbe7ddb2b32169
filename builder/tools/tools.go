// Package tools finds the external commands nixpass runs (multipass,
// docker, terminal-notifier, …) the same way everywhere in the app: the
// configured name or path, then PATH, then the folders where installers
// put them on this OS.
//
// The last step is what makes a Mac app work when it is started from
// Finder, the Dock, Spotlight or launchd: those processes get
// PATH=/usr/bin:/bin:/usr/sbin:/sbin, while Multipass's installer links
// its CLI into /usr/local/bin and Homebrew, Docker Desktop and OrbStack
// use folders of their own.
//
// It imports no other nixpass package.
package tools

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ErrNotFound is wrapped by every "command not found" error.
var ErrNotFound = errors.New("program not found")

// NotFoundError says which command was missing and where it was looked for.
type NotFoundError struct {
	// Name is the command as configured.
	Name string
	// Searched lists the folders (or, for a path, the file) looked at.
	Searched []string
}

func (e *NotFoundError) Error() string {
	if len(e.Searched) == 1 && strings.ContainsRune(e.Name, '/') {
		return fmt.Sprintf("%s: no executable file there", e.Searched[0])
	}
	return fmt.Sprintf("%s not found (searched %s)", e.Name, strings.Join(e.Searched, ", "))
}

// Unwrap makes errors.Is(err, ErrNotFound) true.
func (e *NotFoundError) Unwrap() error { return ErrNotFound }

// Finder resolves command names to executable files. The zero value
// searches nothing; Default() is the one the app uses.
type Finder struct {
	// Path is the PATH value searched first.
	Path string
	// Home expands a leading "~/" in configured paths.
	Home string
	// Dirs are searched after Path, in order.
	Dirs []string
	// Stat reads a file's metadata; nil means os.Stat.
	Stat func(string) (fs.FileInfo, error)
}

// Default returns a Finder for this process: its PATH, the user's home and
// the install folders of this OS.
func Default() *Finder {
	home, _ := os.UserHomeDir()
	return &Finder{Path: os.Getenv("PATH"), Home: home, Dirs: InstallDirs(home)}
}

// Find returns the executable name stands for. A name containing a slash
// is a path (a leading "~/" is the home folder) and is used as it is;
// otherwise each folder of Path, then of Dirs, is tried. Empty PATH
// entries are skipped, never read as the current folder.
func (f *Finder) Find(name string) (string, error) {
	if name == "" {
		return "", &NotFoundError{Name: name}
	}
	if strings.ContainsRune(name, '/') {
		p := f.expand(name)
		if f.isExec(p) {
			return p, nil
		}
		return "", &NotFoundError{Name: name, Searched: []string{p}}
	}
	dirs := f.SearchDirs()
	for _, d := range dirs {
		if p := filepath.Join(d, name); f.isExec(p) {
			return p, nil
		}
	}
	return "", &NotFoundError{Name: name, Searched: dirs}
}

// SearchDirs is every folder Find looks in, in order, without repeats.
func (f *Finder) SearchDirs() []string {
	var dirs []string
	for _, d := range append(filepath.SplitList(f.Path), f.Dirs...) {
		d = f.expand(d)
		if d == "" || !filepath.IsAbs(d) || slices.Contains(dirs, d) {
			continue
		}
		dirs = append(dirs, d)
	}
	return dirs
}

// PATH is a PATH value holding every folder Find searches: for the
// environment of child processes and of the login agent, so what nixpass
// starts finds the same tools nixpass does.
func (f *Finder) PATH() string { return strings.Join(f.SearchDirs(), string(os.PathListSeparator)) }

// InstallPATH is a PATH of this OS's install folders alone (InstallDirs),
// in a fixed order: the login agent's, which must not depend on the shell
// that installs it (the agent file would change with every caller's PATH).
func InstallPATH(home string) string {
	return (&Finder{Home: home, Dirs: InstallDirs(home)}).PATH()
}

func (f *Finder) expand(p string) string {
	if f.Home != "" && (p == "~" || strings.HasPrefix(p, "~/")) {
		return filepath.Join(f.Home, p[1:])
	}
	return p
}

func (f *Finder) isExec(p string) bool {
	stat := f.Stat
	if stat == nil {
		stat = os.Stat
	}
	st, err := stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0
}

// DarwinDirs are the folders macOS installers put commands in, beyond the
// launchd PATH: /usr/local/bin (Multipass's installer, Docker Desktop's
// system links, Intel Homebrew), /opt/homebrew/bin (Apple-silicon
// Homebrew: colima, docker, terminal-notifier), Multipass's own bin folder
// (the target of its /usr/local/bin link), Docker Desktop's per-user and
// in-bundle folders, OrbStack's and Rancher Desktop's, and MacPorts.
func DarwinDirs(home string) []string {
	return []string{
		"/usr/local/bin",
		"/opt/homebrew/bin",
		"/Library/Application Support/com.canonical.multipass/bin",
		filepath.Join(home, ".docker/bin"),
		"/Applications/Docker.app/Contents/Resources/bin",
		filepath.Join(home, ".orbstack/bin"),
		filepath.Join(home, ".rd/bin"),
		"/opt/local/bin",
		"/usr/bin", "/bin", "/usr/sbin", "/sbin",
	}
}

// LinuxDirs are the usual command folders on Linux, beyond a minimal
// PATH: /snap/bin is where `snap install multipass` puts the CLI, and a
// systemd user manager's PATH does not always have it.
func LinuxDirs(home string) []string {
	return []string{
		"/usr/local/bin", "/usr/bin", "/bin", "/usr/local/sbin", "/usr/sbin", "/sbin",
		"/snap/bin",
		filepath.Join(home, ".local/bin"),
		filepath.Join(home, ".nix-profile/bin"),
		"/nix/var/nix/profiles/default/bin",
	}
}

// Found is which executable a configured command resolves to, for
// `nixpass status`: a user whose app cannot find multipass sees where it
// looked.
type Found struct {
	// Tool names the tool ("multipass", "docker").
	Tool string `json:"tool"`
	// Command is the configured name or path.
	Command string `json:"command"`
	// Path is the executable used; empty when none was found.
	Path string `json:"path,omitempty"`
	// Problem says why none was found.
	Problem string `json:"problem,omitempty"`
}

// Report resolves command for tool.
func (f *Finder) Report(tool, command string) Found {
	r := Found{Tool: tool, Command: command}
	if p, err := f.Find(command); err != nil {
		r.Problem = err.Error()
	} else {
		r.Path = p
	}
	return r
}
