package sshconf

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"strings"

	"golang.org/x/crypto/ssh"
)

// Key is a private key file to copy: from Source on this machine to
// Guest in the VM, written 0600.
type Key struct {
	Source, Guest string
	Data          []byte
}

// Bundle is what the VM gets: an ssh config file holding the copied Host
// blocks, the keys they use, and what was left out.
type Bundle struct {
	// Config is the text of the VM's ssh config.
	Config string
	// Keys are the key files it names.
	Keys []Key
	// Warnings say what was left out and why.
	Warnings []string
	// Hosts are the Host aliases the config holds, in order: those asked
	// for, then the jump hosts their ProxyJump names.
	Hosts []string
}

// ErrEncryptedKey is wrapped by the error for a key with a passphrase.
var ErrEncryptedKey = errors.New("key is encrypted")

// Copy resolves each alias (and the hosts their ProxyJump names) in c and
// returns the VM's ssh config and keys; keyDir is the VM's folder for
// them. Aliases the config does not mention are copied as they are (ssh
// in the VM resolves the name itself). An encrypted or unreadable key is
// an error that says what to do.
func (c *Config) Copy(aliases []string, home, keyDir string) (*Bundle, error) {
	b := &Bundle{Warnings: slices.Clone(c.Warnings)}
	var text strings.Builder
	text.WriteString("# Written by nixpass from ~/.ssh/config for the builders in its [builder] table: edit those, not this file.\n")
	done := map[string]bool{}
	keys := map[string]string{}
	queue := slices.Clone(aliases)
	for len(queue) > 0 {
		alias := queue[0]
		queue = queue[1:]
		if done[alias] {
			continue
		}
		done[alias] = true
		h, warns := c.Lookup(alias, home)
		for _, w := range warns {
			// A Host * setting warns once, not once per alias.
			if !slices.Contains(b.Warnings, w) {
				b.Warnings = append(b.Warnings, w)
			}
		}
		b.Hosts = append(b.Hosts, alias)
		fmt.Fprintf(&text, "\nHost %s\n", alias)
		if c.HostKeyAlias {
			fmt.Fprintf(&text, "  HostKeyAlias %s\n", alias)
		}
		for _, kv := range [][2]string{{"HostName", h.HostName}, {"User", h.User}, {"Port", h.Port}, {"ProxyJump", h.ProxyJump}} {
			if kv[1] != "" {
				fmt.Fprintf(&text, "  %s %s\n", kv[0], kv[1])
			}
		}
		if len(h.IdentityFiles) == 0 {
			h.IdentityFiles = c.DefaultIdentities
		}
		for _, f := range h.IdentityFiles {
			g, ok := keys[f]
			if !ok {
				k, err := readKey(f, keyDir)
				if errors.Is(err, os.ErrNotExist) {
					// ssh skips a missing IdentityFile too.
					b.Warnings = append(b.Warnings, fmt.Sprintf("Host %s: IdentityFile %s does not exist, so it is left out", alias, f))
					continue
				}
				if err != nil {
					return nil, fmt.Errorf("Host %s: %w", alias, err)
				}
				b.Keys = append(b.Keys, k)
				keys[f], g = k.Guest, k.Guest
			}
			fmt.Fprintf(&text, "  IdentityFile %s\n", g)
		}
		if len(h.IdentityFiles) > 0 {
			text.WriteString("  IdentitiesOnly yes\n")
		}
		queue = append(queue, jumpHosts(h.ProxyJump)...)
	}
	b.Config = text.String()
	return b, nil
}

// jumpHosts are the host names of a ProxyJump value
// ("[user@]host[:port],..."; "none" for none).
func jumpHosts(v string) []string {
	if v == "" || strings.EqualFold(v, "none") {
		return nil
	}
	var out []string
	for _, hop := range strings.Split(v, ",") {
		hop = strings.TrimPrefix(hop, "ssh://")
		if i := strings.LastIndexByte(hop, '@'); i >= 0 {
			hop = hop[i+1:]
		}
		if i := strings.LastIndexByte(hop, ':'); i >= 0 && !strings.HasSuffix(hop, "]") {
			hop = hop[:i]
		}
		out = append(out, strings.Trim(hop, "[]"))
	}
	return out
}

// readKey reads a private key and refuses one nothing in the VM could
// unlock.
func readKey(file, keyDir string) (Key, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return Key{}, fmt.Errorf("read IdentityFile: %w", err)
	}
	if _, err := ssh.ParseRawPrivateKey(data); err != nil {
		var pm *ssh.PassphraseMissingError
		if errors.As(err, &pm) {
			return Key{}, fmt.Errorf("IdentityFile %s: %w: the VM cannot ask for its passphrase; make a key without one for the builder (ssh-keygen -t ed25519 -N '' -f ~/.ssh/nix_builder) and add its .pub to the builder's authorized_keys", file, ErrEncryptedKey)
		}
		return Key{}, fmt.Errorf("IdentityFile %s is not a private key ssh can read: %v", file, err)
	}
	sum := sha256.Sum256([]byte(file))
	return Key{Source: file, Guest: path.Join(keyDir, "key-"+hex.EncodeToString(sum[:6])), Data: data}, nil
}

// Aliases are the host names of builders' ssh:// and ssh-ng:// URIs, in
// order, without user or query: what Copy resolves.
func Aliases(builders []string) []string {
	var out []string
	for _, line := range builders {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		_, rest, ok := strings.Cut(f[0], "://")
		if !ok {
			continue
		}
		host, _, _ := strings.Cut(rest, "?")
		host, _, _ = strings.Cut(host, "/")
		if i := strings.LastIndexByte(host, '@'); i >= 0 {
			host = host[i+1:]
		}
		if host != "" && !slices.Contains(out, host) {
			out = append(out, host)
		}
	}
	return out
}
