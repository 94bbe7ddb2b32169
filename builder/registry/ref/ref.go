// Package ref parses the destination of a push, REGISTRY/REPO[:TAG], by
// nixpass's rules: the registry is always written out (docker.io/… for
// Docker Hub) and a digest is refused, since a push names a tag. It
// imports only go-containerregistry's name package, so builder/config can
// validate the `push` key with it.
package ref

import (
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// Ref is a parsed push destination.
type Ref struct {
	// Registry is the host (and port) as written, such as "docker.io" or
	// "localhost:5000".
	Registry string
	// Repository is the path inside the registry, such as "team/app".
	Repository string
	// Tag is the tag the ref names; "" when it names none.
	Tag string
}

// String writes the ref back as REGISTRY/REPO[:TAG].
func (r Ref) String() string {
	s := r.Registry + "/" + r.Repository
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	return s
}

// WithTag returns r naming tag.
func (r Ref) WithTag(tag string) Ref { r.Tag = tag; return r }

// Host is the registry host without its port.
func (r Ref) Host() string {
	h := r.Registry
	if i := strings.LastIndexByte(h, ':'); i > 0 && !strings.HasSuffix(h, "]") {
		h = h[:i]
	}
	return strings.Trim(h, "[]")
}

// Parse checks s and splits it. Every error says what to write instead.
func Parse(s string) (Ref, error) {
	if s == "" {
		return Ref{}, fmt.Errorf(`is empty: give REGISTRY/REPO[:TAG], e.g. "docker.io/USER/app"`)
	}
	if strings.ContainsAny(s, " \t\n") {
		return Ref{}, fmt.Errorf("%q contains white space: give REGISTRY/REPO[:TAG]", s)
	}
	if i := strings.IndexByte(s, '@'); i >= 0 {
		return Ref{}, fmt.Errorf("%q names a digest: a push writes a tag; give %q or a tag instead", s, s[:i])
	}
	if strings.Contains(s, "://") {
		return Ref{}, fmt.Errorf("%q is a URL: give REGISTRY/REPO[:TAG] without a scheme, e.g. %q", s, s[strings.Index(s, "://")+3:])
	}
	slash := strings.IndexByte(s, '/')
	if slash < 0 || !looksLikeRegistry(s[:slash]) {
		return Ref{}, fmt.Errorf("%q has no registry: write it out, e.g. \"docker.io/%s\" for Docker Hub", s, strings.TrimPrefix(s, "library/"))
	}
	r := Ref{Registry: s[:slash]}
	rest := s[slash+1:]
	if i := strings.LastIndexByte(rest, ':'); i >= 0 {
		rest, r.Tag = rest[:i], rest[i+1:]
		if r.Tag == "" {
			return Ref{}, fmt.Errorf("%q ends with ':' and no tag: give a tag or leave the ':' out", s)
		}
	}
	r.Repository = rest
	check := r.Registry + "/" + r.Repository
	if r.Tag != "" {
		if _, err := name.NewTag(check+":"+r.Tag, name.StrictValidation); err != nil {
			return Ref{}, fmt.Errorf("%q is not a valid image reference: %v", s, err)
		}
	} else if _, err := name.NewRepository(check, name.StrictValidation); err != nil {
		return Ref{}, fmt.Errorf("%q is not a valid image reference: %v", s, err)
	}
	return r, nil
}

// looksLikeRegistry is Docker's rule for the first component of a name:
// it is a registry when it holds a dot or a port, or is localhost.
func looksLikeRegistry(s string) bool {
	return strings.ContainsAny(s, ".:") || s == "localhost"
}
