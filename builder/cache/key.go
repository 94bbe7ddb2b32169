package cache

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/google/renameio/v2"
)

// keyName is what Nix accepts before the ':' of a key: no ':' and no
// white space; nixpass also keeps it a plain file name.
var keyName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// KeyPair is a signing key in Nix's forms: Secret is
// "NAME:BASE64(64-byte ed25519 private key)", Public is
// "NAME:BASE64(32-byte public key)", as `nix key generate-secret` and
// `nix-store --generate-binary-cache-key` write them.
type KeyPair struct {
	Name, Secret, Public string
}

// NewKeyPair makes a fresh ed25519 key pair named name (such as
// "team-cache-1": Nix shows the name in its signatures).
func NewKeyPair(name string) (KeyPair, error) {
	if !keyName.MatchString(name) {
		return KeyPair{}, fmt.Errorf("key name %q: use letters, digits, '.', '_' and '-', e.g. \"team-cache-1\"", name)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return KeyPair{}, fmt.Errorf("generate key: %w", err)
	}
	return KeyPair{Name: name,
		Secret: name + ":" + base64.StdEncoding.EncodeToString(priv),
		Public: name + ":" + base64.StdEncoding.EncodeToString(pub)}, nil
}

// ErrKeyExists is returned, wrapped, by WriteKeyPair when the key file is
// already there: nixpass never overwrites a signing key.
var ErrKeyExists = errors.New("key file exists")

// WriteKeyPair writes k into dir as NAME.secret (0600) and NAME.public
// (0644), each atomically, and returns the secret key's path. An existing
// secret key file is never replaced: it may be the only copy of a key a
// team's caches trust.
func WriteKeyPair(dir string, k KeyPair) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("write key: %w", err)
	}
	secret := filepath.Join(dir, k.Name+".secret")
	if _, err := os.Lstat(secret); err == nil {
		return "", fmt.Errorf("write key %s: %w; remove it first, or choose another name", secret, ErrKeyExists)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("write key: %w", err)
	}
	if err := renameio.WriteFile(secret, []byte(k.Secret+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write key: %w", err)
	}
	if err := renameio.WriteFile(filepath.Join(dir, k.Name+".public"), []byte(k.Public+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("write key: %w", err)
	}
	return secret, nil
}

// ReadSecretKey reads a secret key file and returns its public key, to
// check a key file before an upload needs it. The error says what is
// wrong without showing the key.
func ReadSecretKey(path string) (public string, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read secret key: %w", err)
	}
	name, b64, ok := strings.Cut(strings.TrimSpace(string(b)), ":")
	raw, derr := base64.StdEncoding.DecodeString(b64)
	if !ok || name == "" || derr != nil || len(raw) != ed25519.PrivateKeySize {
		return "", fmt.Errorf("secret key %s is not a Nix secret key (NAME:BASE64 of 64 bytes); make one with: nixpass cache key NAME", path)
	}
	pub := ed25519.PrivateKey(raw).Public().(ed25519.PublicKey)
	return name + ":" + base64.StdEncoding.EncodeToString(pub), nil
}
