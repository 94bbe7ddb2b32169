// Package lazyre is a regular expression compiled on first use, not at
// package initialization: every package-level pattern of a package that
// nixpass links costs start-up time of every verb otherwise, and most
// verbs (version, a no-op build) never match any of them (issue 19).
//
// It imports no other nixpass package.
package lazyre

import (
	"regexp"
	"sync"
)

// Regexp is a regexp.Regexp compiled on first use; its methods are those
// of regexp.Regexp.
type Regexp struct {
	pat  string
	once sync.Once
	re   *regexp.Regexp
}

// New returns a Regexp for pat, which must compile (as with
// regexp.MustCompile, a bad pattern panics, on first use).
func New(pat string) *Regexp { return &Regexp{pat: pat} }

// Re is the compiled expression.
func (r *Regexp) Re() *regexp.Regexp {
	r.once.Do(func() { r.re = regexp.MustCompile(r.pat) })
	return r.re
}

// MatchString is regexp.Regexp.MatchString.
func (r *Regexp) MatchString(s string) bool { return r.Re().MatchString(s) }

// Match is regexp.Regexp.Match.
func (r *Regexp) Match(b []byte) bool { return r.Re().Match(b) }

// FindStringSubmatch is regexp.Regexp.FindStringSubmatch.
func (r *Regexp) FindStringSubmatch(s string) []string { return r.Re().FindStringSubmatch(s) }

// ReplaceAllString is regexp.Regexp.ReplaceAllString.
func (r *Regexp) ReplaceAllString(src, repl string) string { return r.Re().ReplaceAllString(src, repl) }

// String is the pattern.
func (r *Regexp) String() string { return r.pat }

// FindSubmatch is regexp.Regexp.FindSubmatch.
func (r *Regexp) FindSubmatch(b []byte) [][]byte { return r.Re().FindSubmatch(b) }
