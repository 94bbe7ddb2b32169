// Package sshconf copies what remote builders need from the user's
// ~/.ssh/config into a builder machine (the VM): the Host aliases that
// `builders` lines name, with HostName, User, Port, IdentityFile and
// ProxyJump (the jump host copied too), and the key files they use.
// Anything else in those Host blocks (UseKeychain, IdentityAgent,
// ProxyCommand, Include, Match, ...) is left out, each with a warning: it
// names things of this Mac that the VM does not have. An encrypted key is
// refused with a hint: nothing in the VM could type its passphrase.
//
// It imports no other nixpass package.
package sshconf

import (
	"bufio"
	"fmt"
	"io"
	"path"
	"strings"
)

// block is one Host block of an ssh config: its patterns and its
// settings in file order (keywords lower-cased).
type block struct {
	patterns []string
	settings []setting
	match    bool // a Match block: never applied
}

type setting struct {
	key, value string
	written    string // the keyword as the file writes it
	line       int
}

// Config is a parsed ssh config file.
type Config struct {
	blocks []block
	// Warnings are problems of the file as a whole (Include, Match).
	Warnings []string
	// DefaultIdentities are the key files Copy gives a host whose Host
	// blocks name none, as ssh tries ~/.ssh/id_ed25519 and the like then;
	// nil gives none.
	DefaultIdentities []string
	// HostKeyAlias makes Copy write "HostKeyAlias ALIAS" into each Host
	// block, so ssh looks the host's key up under the alias: the name Nix
	// writes a machine line's pinned key under, whatever HostName and Port
	// the alias resolves to.
	HostKeyAlias bool
}

// copied are the keywords that reach the VM.
var copied = map[string]string{"hostname": "HostName", "user": "User", "port": "Port", "identityfile": "IdentityFile", "proxyjump": "ProxyJump"}

// Parse reads an ssh config. name is used in warnings.
func Parse(r io.Reader, name string) (*Config, error) {
	c := &Config{blocks: []block{{patterns: []string{"*"}}}}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value := splitKeyword(line)
		switch strings.ToLower(key) {
		case "host":
			c.blocks = append(c.blocks, block{patterns: fields(value)})
		case "match":
			c.blocks = append(c.blocks, block{match: true})
			c.Warnings = append(c.Warnings, fmt.Sprintf("%s:%d: Match blocks are left out of the builder's ssh config; write the settings a builder needs under its Host alias", name, n))
		case "include":
			c.Warnings = append(c.Warnings, fmt.Sprintf("%s:%d: Include %s is not followed; put the Host blocks builders use in this file", name, n, value))
		default:
			b := &c.blocks[len(c.blocks)-1]
			b.settings = append(b.settings, setting{strings.ToLower(key), unquote(value), key, n})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return c, nil
}

// splitKeyword splits "Keyword value" or "Keyword=value".
func splitKeyword(line string) (string, string) {
	i := strings.IndexAny(line, " \t=")
	if i < 0 {
		return line, ""
	}
	key, rest := line[:i], strings.TrimLeft(line[i:], " \t")
	rest = strings.TrimLeft(strings.TrimPrefix(rest, "="), " \t")
	return key, rest
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

// fields splits on white space, keeping "quoted strings" whole.
func fields(s string) []string {
	var out []string
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		if s[0] == '"' {
			if end := strings.IndexByte(s[1:], '"'); end >= 0 {
				out = append(out, s[1:end+1])
				s = s[end+2:]
				continue
			}
		}
		f := strings.Fields(s)[0]
		out = append(out, f)
		s = s[len(f):]
	}
	return out
}

// matches applies ssh's Host patterns: * and ? wildcards, !negation
// (a negated match excludes the host whatever else matches).
func (b block) matches(host string) bool {
	if b.match {
		return false
	}
	ok := false
	for _, p := range b.patterns {
		neg := strings.HasPrefix(p, "!")
		m, _ := path.Match(strings.ToLower(strings.TrimPrefix(p, "!")), strings.ToLower(host))
		if m && neg {
			return false
		}
		ok = ok || m
	}
	return ok
}

// Host is what the builder's ssh config gets for one alias.
type Host struct {
	// Alias is the name builders lines use.
	Alias string
	// HostName, User, Port and ProxyJump as the user's config sets them
	// ("" when it does not).
	HostName, User, Port, ProxyJump string
	// IdentityFiles are the key files, ~ expanded, in order.
	IdentityFiles []string
}

// Lookup resolves alias as ssh does (the first value of each keyword
// wins, from every Host block that matches, in file order) and returns
// what is copied, with a warning for each other keyword it leaves out.
// home expands ~ in IdentityFile.
func (c *Config) Lookup(alias, home string) (Host, []string) {
	h := Host{Alias: alias}
	seen := map[string]bool{}
	var warns []string
	for _, b := range c.blocks {
		if !b.matches(alias) {
			continue
		}
		for _, s := range b.settings {
			name, ok := copied[s.key]
			if !ok {
				if !seen[s.key] {
					label := alias
					if strings.Join(b.patterns, " ") == "*" {
						label = "*"
					}
					warns = append(warns, fmt.Sprintf("Host %s: %s (line %d) is left out of the builder's ssh config: it names something of this machine the VM does not have", label, s.written, s.line))
				}
				seen[s.key] = true
				continue
			}
			if s.key == "identityfile" {
				h.IdentityFiles = append(h.IdentityFiles, expand(s.value, home))
				continue
			}
			if seen[s.key] {
				continue
			}
			seen[s.key] = true
			switch name {
			case "HostName":
				h.HostName = s.value
			case "User":
				h.User = s.value
			case "Port":
				h.Port = s.value
			case "ProxyJump":
				h.ProxyJump = s.value
			}
		}
	}
	return h, warns
}

func expand(p, home string) string {
	if p == "~" {
		return home
	}
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		return path.Join(home, rest)
	}
	return p
}

// KnownHostsName is how known_hosts names the host h connects to:
// "[HOST]:PORT" for a port other than 22, else HOST (HostName, or the
// alias itself).
func (h Host) KnownHostsName() string {
	host := h.HostName
	if host == "" {
		host = h.Alias
	}
	if h.Port != "" && h.Port != "22" {
		return "[" + host + "]:" + h.Port
	}
	return host
}
