package watch

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/format/gitignore"
)

// ignorer decides which paths of one project never trigger a build: the
// project's .gitignore files plus the rules in alwaysIgnored.
type ignorer struct {
	root    string
	output  string
	flake   bool
	matcher gitignore.Matcher
}

// loadIgnorer reads every .gitignore below root (skipping what an outer
// .gitignore already ignores, as git does).
func loadIgnorer(root, output string, flake bool) *ignorer {
	ig := &ignorer{root: root, output: output, flake: flake}
	var patterns []gitignore.Pattern
	ig.matcher = gitignore.NewMatcher(nil)
	_ = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			if path != root && ig.ignored(path, true) {
				return filepath.SkipDir
			}
			ps := readPatterns(filepath.Join(path, ".gitignore"), ig.split(path))
			if len(ps) > 0 {
				patterns = append(patterns, ps...)
				ig.matcher = gitignore.NewMatcher(patterns)
			}
		}
		return nil
	})
	return ig
}

func readPatterns(file string, domain []string) []gitignore.Pattern {
	f, err := os.Open(file)
	if err != nil {
		return nil
	}
	defer f.Close()
	var ps []gitignore.Pattern
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		ps = append(ps, gitignore.ParsePattern(line, domain))
	}
	return ps
}

// split turns an absolute path below root into its components.
func (ig *ignorer) split(path string) []string {
	rel, err := filepath.Rel(ig.root, path)
	if err != nil || rel == "." {
		return nil
	}
	return strings.Split(filepath.ToSlash(rel), "/")
}

// ignored reports whether a change at path is of no interest.
func (ig *ignorer) ignored(path string, isDir bool) bool {
	parts := ig.split(path)
	if len(parts) == 0 {
		return false
	}
	if ig.alwaysIgnored(parts, isDir) {
		return true
	}
	return ig.matcher.Match(parts, isDir)
}

// insideIgnored reports whether a folder above path (below the root) is
// ignored: for recursive backends, which report changes everywhere.
func (ig *ignorer) insideIgnored(path string) bool {
	parts := ig.split(path)
	for i := 1; i < len(parts); i++ {
		if ig.ignored(filepath.Join(append([]string{ig.root}, parts[:i]...)...), true) {
			return true
		}
	}
	return false
}

// gitStateFiles are the files under .git whose change means new sources
// for a flake (a commit, a checkout, a `git add`).
var gitStateFiles = map[string]bool{"HEAD": true, "index": true}

// finderFolders are the folders macOS keeps at a volume's root (Spotlight's
// index, the trash, FSEvents' own log); a project on a removable volume
// may hold them, and nothing in them is a source.
var finderFolders = map[string]bool{".Spotlight-V100": true, ".Trashes": true, ".fseventsd": true}

func (ig *ignorer) alwaysIgnored(parts []string, isDir bool) bool {
	if parts[0] == ".git" {
		// A flake reads what git tracks: .git/HEAD and .git/index count.
		return !(ig.flake && (len(parts) == 1 || len(parts) == 2 && gitStateFiles[parts[1]]))
	}
	name := parts[len(parts)-1]
	for _, p := range parts {
		if p == ".direnv" || finderFolders[p] {
			return true
		}
	}
	switch {
	case name == ".DS_Store" || name == "Icon\r" || strings.HasPrefix(name, "._"):
		// Finder's own files: folder view settings (written when a folder
		// is merely browsed), AppleDouble halves on non-APFS volumes, a
		// custom folder icon.
		return true
	case name == "result" || strings.HasPrefix(name, "result-"):
		return true
	case len(parts) == 1 && name == ig.output:
		return true
	case strings.Contains(name, ".nixpass-tmp"):
		return true
	case strings.HasSuffix(name, "~"), strings.HasPrefix(name, ".#"), name == "4913":
		return true
	case strings.HasSuffix(name, ".swp"), strings.HasSuffix(name, ".swx"):
		return true
	case strings.HasPrefix(name, ".") && len(name) > 4 && strings.HasPrefix(filepath.Ext(name), ".sw"):
		return true
	}
	return false
}
