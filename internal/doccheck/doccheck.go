// Package doccheck keeps nixpass's documentation honest: README.md stays a
// short front door, every relative link and #anchor in README.md and
// docs/*.md resolves, and every pointer of the form `docs/FILE.md "Heading"`
// (or `README "Heading"`) in the tree names a heading that exists. Only its
// own test uses it; it imports no nixpass package.
package doccheck

import (
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"regexp"
	"strings"
	"unicode"
)

// MaxReadmeLines is how long README.md may grow: it is the front door, and
// everything else lives in docs/.
const MaxReadmeLines = 250

// Problem is one broken promise in a document: where, and what.
type Problem struct {
	File string
	Line int // 1-based; 0 for the whole file
	Msg  string
}

func (p Problem) String() string {
	if p.Line == 0 {
		return p.File + ": " + p.Msg
	}
	return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
}

// Docs lists the documents whose links Check resolves: README.md and every
// docs/*.md in fsys.
func Docs(fsys fs.FS) ([]string, error) {
	more, err := fs.Glob(fsys, "docs/*.md")
	if err != nil {
		return nil, err
	}
	return append([]string{"README.md"}, more...), nil
}

// Check counts README.md's lines and resolves every relative link and
// anchor in README.md and docs/*.md, all read from fsys (the repository's
// root).
func Check(fsys fs.FS) []Problem {
	docs, err := Docs(fsys)
	if err != nil {
		return []Problem{{File: "docs", Msg: err.Error()}}
	}
	var probs []Problem
	if b, err := fs.ReadFile(fsys, "README.md"); err != nil {
		probs = append(probs, Problem{File: "README.md", Msg: err.Error()})
	} else if n := countLines(string(b)); n > MaxReadmeLines {
		probs = append(probs, Problem{File: "README.md", Msg: fmt.Sprintf("%d lines, more than %d: move sections into docs/", n, MaxReadmeLines)})
	}
	a := &anchorCache{fsys: fsys, m: map[string]map[string]bool{}}
	for _, doc := range docs {
		b, err := fs.ReadFile(fsys, doc)
		if err != nil {
			continue // README's absence is reported above
		}
		for _, l := range links(string(b)) {
			if msg := a.resolve(doc, l.target); msg != "" {
				probs = append(probs, Problem{File: doc, Line: l.line, Msg: msg})
			}
		}
	}
	return probs
}

// pointerRE finds `docs/FILE.md "Heading"` and `README "Heading"` (a comma
// may come between): the way code, scripts and docs point at a section.
// The character before must not be part of a longer path, so
// packaging/README.md is not taken for the root's.
var pointerRE = regexp.MustCompile(`(?:^|[^\w/.-])((?:docs/[\w-]+\.md)|README(?:\.md)?),?\s*"([^"\n]+)"`)

// Pointers checks the section pointers in the named files of fsys.
func Pointers(fsys fs.FS, files []string) []Problem {
	a := &anchorCache{fsys: fsys, m: map[string]map[string]bool{}}
	var probs []Problem
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			probs = append(probs, Problem{File: f, Msg: err.Error()})
			continue
		}
		for i, line := range strings.Split(string(b), "\n") {
			for _, m := range pointerRE.FindAllStringSubmatch(line, -1) {
				doc := m[1]
				if strings.HasPrefix(doc, "README") {
					doc = "README.md"
				}
				anchors, err := a.get(doc)
				if err != nil {
					probs = append(probs, Problem{File: f, Line: i + 1, Msg: fmt.Sprintf("%s %q: %s does not exist", m[1], m[2], doc)})
					continue
				}
				if !anchors[Slug(m[2])] {
					probs = append(probs, Problem{File: f, Line: i + 1, Msg: fmt.Sprintf("%s %q: no such heading in %s", m[1], m[2], doc)})
				}
			}
		}
	}
	return probs
}

// countLines counts lines as wc -l does, plus an unterminated last line.
func countLines(s string) int {
	n := strings.Count(s, "\n")
	if s != "" && !strings.HasSuffix(s, "\n") {
		n++
	}
	return n
}

// anchorCache reads each target document's anchors once.
type anchorCache struct {
	fsys fs.FS
	m    map[string]map[string]bool
}

func (a *anchorCache) get(name string) (map[string]bool, error) {
	if m, ok := a.m[name]; ok {
		return m, nil
	}
	b, err := fs.ReadFile(a.fsys, name)
	if err != nil {
		return nil, err
	}
	m := Anchors(string(b))
	a.m[name] = m
	return m, nil
}

var schemeRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`)

// resolve checks one link target written in doc; it returns what is wrong,
// or "".
func (a *anchorCache) resolve(doc, target string) string {
	if schemeRE.MatchString(target) || strings.HasPrefix(target, "//") {
		return "" // another site: not checked here
	}
	p, frag, _ := strings.Cut(target, "#")
	if up, err := url.PathUnescape(p); err == nil {
		p = up
	}
	file := doc
	if p != "" {
		if strings.HasPrefix(p, "/") {
			file = path.Clean(strings.TrimPrefix(p, "/"))
		} else {
			file = path.Join(path.Dir(doc), p)
		}
		if file == ".." || strings.HasPrefix(file, "../") {
			return fmt.Sprintf("link %q leaves the repository", target)
		}
		if _, err := fs.Stat(a.fsys, file); err != nil {
			return fmt.Sprintf("link %q: %s does not exist", target, file)
		}
	}
	if frag == "" {
		return ""
	}
	if !strings.HasSuffix(file, ".md") {
		return fmt.Sprintf("link %q: an anchor into %s, which is not Markdown", target, file)
	}
	anchors, err := a.get(file)
	if err != nil {
		return fmt.Sprintf("link %q: %v", target, err)
	}
	if uf, err := url.PathUnescape(frag); err == nil {
		frag = uf
	}
	if !anchors[strings.ToLower(frag)] {
		return fmt.Sprintf("link %q: no heading in %s has the anchor #%s", target, file, frag)
	}
	return ""
}

// Slug is the anchor GitHub gives a heading: its text lower-cased, every
// character but letters, marks, digits, connectors ('_'), '-' and spaces
// dropped, and each space made a '-'.
func Slug(heading string) string {
	text := strings.ToLower(plainText(heading))
	var b strings.Builder
	for _, r := range text {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-', unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.Pc):
			b.WriteRune(r)
		}
	}
	return b.String()
}

var (
	mdLinkRE  = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)`)
	htmlTagRE = regexp.MustCompile(`<[^>]+>`)
)

// plainText is what a heading's Markdown renders to: link texts without
// their targets, no code-span backticks, no HTML tags, no emphasis stars.
func plainText(md string) string {
	md = mdLinkRE.ReplaceAllString(md, "$1")
	md = htmlTagRE.ReplaceAllString(md, "")
	md = strings.ReplaceAll(md, "`", "")
	md = strings.ReplaceAll(md, "*", "")
	return strings.TrimSpace(md)
}

// link is one link target and the line it is on.
type link struct {
	line   int
	target string
}

var (
	inlineLinkRE = regexp.MustCompile(`\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)`)
	refDefRE     = regexp.MustCompile(`^ {0,3}\[[^\]]+\]:\s*<?([^\s>]+)`)
	htmlLinkRE   = regexp.MustCompile(`(?i)<a\s[^>]*href="([^"]*)"`)
)

// links returns the link targets of a Markdown document outside code
// blocks and code spans: inline links and images, reference definitions,
// and HTML anchors' hrefs.
func links(md string) []link {
	var out []link
	for _, l := range proseLines(md) {
		if m := refDefRE.FindStringSubmatch(l.text); m != nil {
			out = append(out, link{l.line, m[1]})
			continue
		}
		for _, re := range []*regexp.Regexp{inlineLinkRE, htmlLinkRE} {
			for _, m := range re.FindAllStringSubmatch(l.text, -1) {
				out = append(out, link{l.line, m[1]})
			}
		}
	}
	return out
}

var (
	atxRE    = regexp.MustCompile(`^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$`)
	setextRE = regexp.MustCompile(`^ {0,3}(=+|-+)[ \t]*$`)
	htmlIDRE = regexp.MustCompile(`(?i)<a\s[^>]*(?:id|name)="([^"]+)"`)
)

// Anchors returns the anchors of a Markdown document: each heading's Slug,
// with "-1", "-2"… for a slug that came before, as GitHub numbers them, and
// the ids and names of HTML anchors.
func Anchors(md string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	add := func(heading string) {
		s := Slug(heading)
		if n := seen[s]; n > 0 {
			seen[s] = n + 1
			s = fmt.Sprintf("%s-%d", s, n)
		} else {
			seen[s] = 1
		}
		out[s] = true
	}
	prev, prevLine := "", 0 // the paragraph line a setext underline makes a heading
	for _, l := range proseLines(md) {
		for _, m := range htmlIDRE.FindAllStringSubmatch(l.raw, -1) {
			out[strings.ToLower(m[1])] = true
		}
		if m := atxRE.FindStringSubmatch(l.raw); m != nil {
			add(m[2])
			prev = ""
			continue
		}
		if setextRE.MatchString(l.raw) && prev != "" && l.line == prevLine+1 {
			add(prev)
			prev = ""
			continue
		}
		prev = ""
		if t := strings.TrimSpace(l.raw); t != "" && !strings.ContainsAny(t[:1], "|-*+>") {
			prev, prevLine = t, l.line
		}
	}
	return out
}

// proseLine is a line outside code blocks: as written, and with its code
// spans removed.
type proseLine struct {
	line      int
	raw, text string
}

var fenceRE = regexp.MustCompile("^ {0,3}(`{3,}|~{3,})")

// proseLines returns the lines of md that are not in a fenced or indented
// code block.
func proseLines(md string) []proseLine {
	var out []proseLine
	fence := ""                // the open fence, if any
	blank, code := true, false // the previous line was blank; we are in an indented code block
	for i, raw := range strings.Split(md, "\n") {
		raw = strings.TrimRight(raw, "\r")
		if fence != "" {
			if m := fenceRE.FindStringSubmatch(raw); m != nil && m[1][0] == fence[0] && len(m[1]) >= len(fence) && strings.TrimSpace(raw[len(m[0]):]) == "" {
				fence = ""
			}
			continue
		}
		if m := fenceRE.FindStringSubmatch(raw); m != nil {
			fence = m[1]
			continue
		}
		isBlank := strings.TrimSpace(raw) == ""
		indented := strings.HasPrefix(raw, "    ") || strings.HasPrefix(raw, "\t")
		if !isBlank {
			code = indented && (blank || code)
		}
		blank = isBlank
		if code || isBlank {
			continue
		}
		out = append(out, proseLine{line: i + 1, raw: raw, text: stripCodeSpans(raw)})
	}
	return out
}

// stripCodeSpans removes `code` and “code“ spans from a line.
func stripCodeSpans(s string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '`')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		n := i
		for n < len(s) && s[n] == '`' {
			n++
		}
		ticks := s[i:n]
		end := strings.Index(s[n:], ticks)
		if end < 0 { // an unmatched run is literal text
			b.WriteString(ticks)
			s = s[n:]
			continue
		}
		s = s[n+end+len(ticks):]
	}
}

// BareCommand reports each place in md, before the heading whose anchor is
// until, where the bare command nixpass is used (a code line or a code span
// whose first word is nixpass): until the reader has put it on PATH, the
// command is build/nixpass (issue 20).
func BareCommand(name, md, until string) []Problem {
	var probs []Problem
	inProse := map[int]bool{}
	for _, l := range proseLines(md) {
		inProse[l.line] = true
	}
	for i, raw := range strings.Split(md, "\n") {
		n := i + 1
		if m := atxRE.FindStringSubmatch(raw); m != nil && inProse[n] && Slug(m[2]) == until {
			return probs
		}
		var uses []string
		switch {
		case inProse[n]:
			uses = codeSpans(raw)
		case strings.TrimSpace(raw) != "" && fenceRE.FindStringIndex(raw) == nil: // a code block's line
			uses = []string{raw}
		}
		for _, u := range uses {
			f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(u), "$ "))
			if len(f) > 0 && f[0] == "nixpass" {
				probs = append(probs, Problem{File: name, Line: n, Msg: fmt.Sprintf("%q uses the bare command nixpass before it is on PATH: write build/nixpass", strings.TrimSpace(u))})
			}
		}
	}
	return probs
}

// codeSpans returns the contents of a line's code spans.
func codeSpans(s string) []string {
	var out []string
	for {
		i := strings.IndexByte(s, '`')
		if i < 0 {
			return out
		}
		n := i
		for n < len(s) && s[n] == '`' {
			n++
		}
		ticks := s[i:n]
		end := strings.Index(s[n:], ticks)
		if end < 0 {
			return out
		}
		out = append(out, s[n:n+end])
		s = s[n+end+len(ticks):]
	}
}
