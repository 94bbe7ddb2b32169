package diagnose

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"nixpass/builder"
)

var (
	reHashMismatch = regexp.MustCompile(`hash mismatch in fixed-output derivation '([^']+)':`)
	reSpecifiedGot = regexp.MustCompile(`specified:\s*(\S+)\s+got:\s*(\S+)`)
)

// hashMismatchRule covers a fixed-output derivation whose hash changed:
// "error: hash mismatch in fixed-output derivation '/nix/store/…drv':
// specified: sha256-AAA…= got: sha256-WJG…=" (2.8, 2.26, 2.34 print both
// in SRI form whatever the file says; testdata/*/hash-mismatch-*.txt).
var hashMismatchRule = Rule{
	Name: "hash-mismatch", Kind: builder.KindBuild,
	Action: say("Put the new hash in the Nix file"),
	Match: func(l *nixLog, _ *Evidence) (Match, bool) {
		m, i := l.find(reHashMismatch)
		if m == nil {
			return Match{}, false
		}
		out := Match{Drv: m[1]}
		if sg := reSpecifiedGot.FindStringSubmatch(errorText(l.lines, i)); sg != nil {
			out.Need, out.Have = sg[1], sg[2]
		}
		return out, true
	},
	Message: func(m Match, _ *Evidence) string {
		s := "the hash of " + drvName(m.Drv) + " (a fixed-output derivation) is not the one written in the Nix files"
		if m.Have != "" {
			s += ": specified " + m.Need + ", got " + m.Have
		}
		return s
	},
	Hint: func(m Match, ev *Evidence, _ *hint) string {
		got, ok := formsOf(m.Have)
		if !ok {
			return "replace the hash of " + drvName(m.Drv) + " with the one Nix printed after got:"
		}
		spec, _ := formsOf(m.Need)
		c := ev.Contains
		switch {
		case c != nil && spec.base32 != "" && c(spec.base32):
			return fmt.Sprintf("replace %s with %q in the Nix files (the hash of %s)", spec.base32, got.base32, drvName(m.Drv))
		case c != nil && spec.sri != "" && c(spec.sri):
			return fmt.Sprintf("replace %s with %q in the Nix files (the hash of %s)", spec.sri, got.sri, drvName(m.Drv))
		}
		return fmt.Sprintf("write %q as the hash of %s (or %q where the file uses Nix's base32 form)", got.sri, drvName(m.Drv), got.base32)
	},
}

var (
	// 2.34: Path 'x.nix' in the repository "/dir" is not tracked by Git.
	reUntracked = regexp.MustCompile(`Path '([^']+)' in the repository "([^"]+)" is not tracked by Git`)
	// 2.8 and 2.26: the file is simply absent from the flake's store copy.
	reSourceMissing = regexp.MustCompile(`(?:getting status of|path) '/nix/store/[0-9a-z]{32}-source/([^']+)'(?:: No such file or directory| does not exist)`)
)

// untrackedRule covers a file git does not track in a git flake, which
// Nix leaves out of the flake's copy: 2.34 "error: Path 'untracked.nix'
// in the repository \"/…/flake\" is not tracked by Git."; 2.26 "error:
// path '/nix/store/…-source/untracked.nix' does not exist"; 2.8 "error:
// getting status of '/nix/store/…-source/untracked.nix': No such file or
// directory" (testdata/*/flake-untracked.txt).
var untrackedRule = Rule{
	Name: "flake-untracked", Kind: builder.KindEval,
	Action: say("Add the new files to git"),
	Match: func(l *nixLog, _ *Evidence) (Match, bool) {
		if m, i := l.find(reUntracked); m != nil {
			return Match{Subject: m[1], Repo: m[2], Position: l.position(i)}, true
		}
		if m, i := l.find(reSourceMissing); m != nil {
			return Match{Subject: m[1], Position: l.position(i)}, true
		}
		return Match{}, false
	},
	Message: func(m Match, _ *Evidence) string {
		s := m.Subject + " is not in the flake: Nix copies only the files git tracks"
		if m.Position != "" {
			s += " (needed at " + m.Position + ")"
		}
		return s
	},
	Hint: func(m Match, ev *Evidence, h *hint) string {
		// 2.34 names the repository (as the builder sees it) and the path
		// in it; older Nix only the path in the flake's sources, which is
		// the project folder in the usual flake-at-the-top layout.
		repo := m.Repo
		p, g := ev.Project, ev.GuestDir
		switch {
		case repo != "" && g != "" && p.Dir != "" && (repo == g || strings.HasPrefix(repo, g+"/")):
			repo = p.Dir + repo[len(g):]
		case repo == "":
			repo = p.Dir
		}
		if repo == "" {
			return "add it to git: " + h.cmd("git", "add", m.Subject) + " (in the flake's folder), then build again"
		}
		return "add it to git: " + h.cmd("git", "-C", repo, "add", m.Subject) + ", then build again"
	},
}

var (
	reNoFile = regexp.MustCompile(`^(?:opening file '([^']+)': No such file or directory|path '([^']+)' does not exist)$`)
	// nix-build FILE with FILE missing (2.8); also what a missing import
	// says, so it counts only for the project's own file.
	reNoFileStat = regexp.MustCompile(`^getting status of '([^']+)': No such file or directory$`)
)

// noNixFileRule covers building a folder without the Nix file: 2.8 and
// 2.26 "error: opening file '/dir/default.nix': No such file or
// directory", 2.34 "error: path '/dir/default.nix' does not exist", with
// no trace or position (testdata/*/no-default.txt), and 2.8's "error:
// getting status of '/dir/default.nix': No such file or directory" for
// a relative FILE. With a project it applies only to the project's own
// file.
var noNixFileRule = Rule{
	Name: "no-nix-file", Kind: builder.KindConfig,
	Action: say("Add a default.nix, or name the project's Nix file"),
	Match: func(l *nixLog, ev *Evidence) (Match, bool) {
		if len(l.errs) != 1 || l.innermost() != l.errs[0] {
			return Match{}, false
		}
		text := errorText(l.lines, l.errs[0])
		m := reNoFile.FindStringSubmatch(text)
		if s := reNoFileStat.FindStringSubmatch(text); s != nil && ev.Project.File != "" {
			m = []string{s[0], s[1], ""}
		}
		if m == nil || l.position(l.errs[0]) != "" {
			return Match{}, false
		}
		p := m[1] + m[2]
		if ev.Project.File != "" && p != path.Join(ev.guestDir(), ev.Project.File) {
			return Match{}, false
		}
		if ev.Project.File == "" && !strings.HasSuffix(p, "/default.nix") && !strings.HasSuffix(p, "/flake.nix") {
			return Match{}, false
		}
		return Match{Subject: p}, true
	},
	Message: func(m Match, _ *Evidence) string {
		return "there is no " + path.Base(m.Subject) + " to build: " + m.Subject + " does not exist"
	},
	Hint: func(m Match, ev *Evidence, h *hint) string {
		return "create " + path.Base(m.Subject) + " in the folder, or name the file or flake to build: " +
			h.cmd("nixpass", "add", path.Dir(m.Subject), "--file", "FILE") + " (or --flake REF)"
	},
}

var reMissingFile = regexp.MustCompile(`(?:getting status of|opening file|path) '([^']+)'(?:: No such file or directory| does not exist)`)

// missingFileRule covers a file the expression reads that is not there,
// typically `import ../shared/lib.nix` from outside the project: 2.8
// "error: getting status of '/…/shared/lib.nix': No such file or
// directory" (no position); 2.26 and 2.34 "error: path '/…/shared/lib.nix'
// does not exist" under "while calling the 'import' builtin at FILE:L:C"
// (testdata/*/missing-outside.txt).
var missingFileRule = Rule{
	Name: "missing-file", Kind: builder.KindEval,
	Action: say("Create the missing file or fix its path"),
	Match: func(l *nixLog, _ *Evidence) (Match, bool) {
		m, i := l.find(reMissingFile)
		if m == nil {
			return Match{}, false
		}
		return Match{Subject: m[1], Missing: m[1], Position: l.position(i)}, true
	},
	Message: func(m Match, ev *Evidence) string {
		s := m.Subject + " does not exist on " + ev.where()
		if m.Position != "" {
			s += " (read at " + m.Position + ")"
		}
		return s
	},
	Hint: func(m Match, ev *Evidence, h *hint) string {
		g := ev.guestDir()
		outside := g == "" || !strings.HasPrefix(m.Subject, strings.TrimSuffix(g, "/")+"/")
		fix := "create the file, or fix the path"
		if m.Position != "" {
			fix += " at " + m.Position
		}
		if !outside {
			return fix
		}
		if ev.vm() {
			dir := ev.Project.Dir
			if dir == "" {
				dir = "DIR"
			}
			return fmt.Sprintf("the builder VM sees only mounted folders, and %s is outside the project folder: mount the folder that holds it with %s, or move the file into the project; else %s",
				m.Subject, h.cmd("nixpass", "add", dir, "--mount", path.Dir(m.Subject)), fix)
		}
		if g == "" {
			return fix + "; on a Multipass builder only mounted folders are visible: mount the folder that holds it with nixpass add DIR --mount FOLDER"
		}
		return fix + " (it is outside the project folder)"
	},
}

func (ev *Evidence) guestDir() string {
	if ev.GuestDir != "" {
		return ev.GuestDir
	}
	return ev.Project.Dir
}

var (
	reNixPath     = regexp.MustCompile(`file '([^']+)' was not found in the Nix search path`)
	reMissingAttr = regexp.MustCompile(`attribute '([^']+)' in selection path '([^']+)' not found`)
	reDidYouMean  = regexp.MustCompile(`^\s*Did you mean (.+?)\?\s*$`)
)

// nixPathRule covers a lookup path such as <nixpkgs> that the builder's
// Nix cannot resolve: "error: file 'nixpkgs' was not found in the Nix
// search path (add it using $NIX_PATH or -I)" (2.8, 2.26, 2.34;
// testdata/*/eval-nixpath.txt). A Multipass VM and a fresh Linux Nix have
// no channel, so the remedy is to pin nixpkgs in the project.
var nixPathRule = Rule{
	Name: "nix-path", Kind: builder.KindEval,
	Action: say("Pin nixpkgs in the project (fetchTarball)"),
	Match: func(l *nixLog, _ *Evidence) (Match, bool) {
		m, i := l.find(reNixPath)
		if m == nil {
			return Match{}, false
		}
		pos := l.position(i)
		if j := l.innermost(); pos == "" && j >= 0 {
			pos = l.position(j)
		}
		return Match{Subject: m[1], Position: pos}, true
	},
	Message: func(m Match, ev *Evidence) string {
		s := fmt.Sprintf("<%s> is not in the Nix search path on %s: NIX_PATH has no %s and no channel provides it", m.Subject, ev.where(), m.Subject)
		if m.Position != "" {
			s += " (at " + m.Position + ")"
		}
		return s
	},
	Hint: func(m Match, ev *Evidence, h *hint) string {
		s := fmt.Sprintf(`pin it in the project instead of relying on the builder's channels: import (fetchTarball "https://github.com/NixOS/nixpkgs/archive/REV.tar.gz") { } in place of <%s>, as examples/hello-layered does (a fixed revision builds the same everywhere)`, m.Subject)
		if m.Subject != "nixpkgs" {
			return s + "; or set NIX_PATH to include " + m.Subject + "=PATH for the builder"
		}
		channel := []string{"nix-channel", "--add", "https://nixos.org/channels/nixpkgs-unstable", "nixpkgs"}
		update := []string{"nix-channel", "--update"}
		if ev.vm() {
			pre := []string{"multipass", "exec", ev.Machine.VM, "--"}
			return s + "; or give the VM's user a channel: " + h.and(append(pre, channel...), append(pre, update...))
		}
		return s + "; or add a channel: " + h.and(channel, update) + ", or set NIX_PATH=nixpkgs=PATH"
	},
}

// missingAttrRule covers an attribute that the Nix file does not have:
// "error: attribute 'imag' in selection path 'imag' not found", with
// Nix's "Did you mean image?" on the next line (2.8, 2.26, 2.34;
// testdata/*/eval-attr-missing.txt). When the path is the project's attr
// key, the key is what to fix.
var missingAttrRule = Rule{
	Name: "missing-attr", Kind: builder.KindEval,
	Action: func(m Match, ev *Evidence) string {
		if ev.Project.Attr != "" && ev.Project.Attr == m.What {
			return "Fix the project's attr key"
		}
		return "Select an attribute the Nix file has"
	},
	Match: func(l *nixLog, _ *Evidence) (Match, bool) {
		m, i := l.find(reMissingAttr)
		if m == nil {
			return Match{}, false
		}
		out := Match{Subject: m[1], What: m[2]}
		for j := i + 1; j < len(l.lines) && j <= i+2; j++ {
			if d := reDidYouMean.FindStringSubmatch(l.lines[j]); d != nil {
				out.Need = d[1]
			}
		}
		return out, true
	},
	Message: func(m Match, ev *Evidence) string {
		file := ev.Project.File
		if file == "" {
			file = "the Nix file"
		}
		s := fmt.Sprintf("%s has no attribute %s (selection path %s)", file, m.Subject, m.What)
		if ev.Project.Attr != "" && ev.Project.Attr == m.What {
			s = fmt.Sprintf("the project's attr key selects %s, which %s does not have", m.What, file)
		}
		if m.Need != "" {
			s += "; did you mean " + m.Need + "?"
		}
		return s
	},
	Hint: func(m Match, ev *Evidence, _ *hint) string {
		want := "the attribute's right name"
		if m.Need != "" {
			// "image", or "one of image or images".
			want = strings.Fields(strings.TrimPrefix(m.Need, "one of "))[0]
			want = strings.TrimSuffix(want, ",")
		}
		if ev.Project.Attr != "" && ev.Project.Attr == m.What {
			return fmt.Sprintf("set attr = %q in the project's [[project]] table of nixpass's config (nixpass list shows it), or give the file an attribute %s", want, m.What)
		}
		return "select an attribute the file has (" + want + "), or add " + m.Subject + " to the file"
	},
}
