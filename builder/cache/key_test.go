package cache

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNewKeyPairForms(t *testing.T) {
	k, err := NewKeyPair("team-1")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		what, key string
		size      int
	}{{"secret", k.Secret, ed25519.PrivateKeySize}, {"public", k.Public, ed25519.PublicKeySize}} {
		name, b64, _ := strings.Cut(tt.key, ":")
		raw, err := base64.StdEncoding.DecodeString(b64)
		if name != "team-1" || err != nil || len(raw) != tt.size {
			t.Errorf("%s key %q: name %q, %d bytes (%v), want team-1 and %d bytes", tt.what, tt.key, name, len(raw), err, tt.size)
		}
	}
	for _, bad := range []string{"", "a:b", "a b", "../x", "-x"} {
		if _, err := NewKeyPair(bad); err == nil {
			t.Errorf("NewKeyPair(%q) = nil error, want one", bad)
		}
	}
}

func TestWriteKeyPair(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nixpass")
	k, _ := NewKeyPair("team-1")
	secret, err := WriteKeyPair(dir, k)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(secret)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("secret key file %s: mode %v (%v), want 0600", secret, st.Mode().Perm(), err)
	}
	pub, err := ReadSecretKey(secret)
	if err != nil || pub != k.Public {
		t.Errorf("ReadSecretKey = %q, %v; want %q", pub, err, k.Public)
	}
	k2, _ := NewKeyPair("team-1")
	if _, err := WriteKeyPair(dir, k2); !errors.Is(err, ErrKeyExists) {
		t.Errorf("second WriteKeyPair = %v, want ErrKeyExists", err)
	}
	if pub, _ := ReadSecretKey(secret); pub != k.Public {
		t.Errorf("the first key was replaced")
	}
	bad := filepath.Join(t.TempDir(), "bad")
	os.WriteFile(bad, []byte("team-1:abc\n"), 0o600)
	if _, err := ReadSecretKey(bad); err == nil || strings.Contains(err.Error(), "abc") {
		t.Errorf("ReadSecretKey(corrupt) = %v, want an error that does not show the key", err)
	}
}

// TestNixAcceptsKeys signs with a key made here through nix copy's
// secret-key parameter, and substitutes into an empty store that trusts
// only the public key, on Nix 2.8 and a newer Nix.
func TestNixAcceptsKeys(t *testing.T) {
	for _, n := range nixes(t) {
		t.Run(n.name, func(t *testing.T) {
			dir := t.TempDir()
			k, err := NewKeyPair("nixpass-test-1")
			if err != nil {
				t.Fatal(err)
			}
			secret, err := WriteKeyPair(filepath.Join(dir, "keys"), k)
			if err != nil {
				t.Fatal(err)
			}
			binds := []string{dir}
			out, err := n.run(t, binds, "nix-build", "--no-out-link", writePayload(t, dir), "--argstr", "salt", salt(t))
			if err != nil {
				t.Fatalf("build: %v\n%s", err, out)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			path := lines[len(lines)-1]
			cache := "file://" + filepath.Join(dir, "cache")
			out, err = n.run(t, binds, "nix", "--extra-experimental-features", "nix-command", "copy",
				"--to", cache+"?secret-key="+secret+"&compression=zstd", path)
			if err != nil {
				t.Fatalf("nix copy with the secret key: %v\n%s", err, out)
			}
			narinfo, err := os.ReadFile(filepath.Join(dir, "cache", strings.TrimPrefix(filepath.Base(path), "")[:32]+".narinfo"))
			if err != nil || !strings.Contains(string(narinfo), "Sig: nixpass-test-1:") || !strings.Contains(string(narinfo), "Compression: zstd") {
				t.Fatalf("narinfo %q (%v), want a signature by nixpass-test-1 and zstd", narinfo, err)
			}
			store2 := filepath.Join(dir, "store2")
			out, err = n.run(t, binds, "nix-store", "--store", store2, "--realise", path,
				"--option", "substituters", cache, "--option", "trusted-public-keys", k.Public)
			if err != nil || !strings.Contains(out, "from '"+cache+"'") {
				t.Fatalf("substitute with only the public key trusted: %v\n%s", err, out)
			}
			if _, err := os.Stat(filepath.Join(store2, path)); err != nil {
				t.Errorf("the second store lacks %s: %v", path, err)
			}
		})
	}
}
