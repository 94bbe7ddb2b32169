package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nixpass/builder/cache"
	"nixpass/builder/config"
)

// TestCacheKey runs `nixpass cache key NAME` against a config file with
// comments: the key pair lands beside it (secret 0600), the config gains
// secret_key_file and public_key with its comments kept, stdout is the
// public key line alone, and a second run never replaces the key.
func TestCacheKey(t *testing.T) {
	w := newWorld(t)
	w.writeConfig("# my settings\n[vm]\ncpus = 2 # enough\n")
	o := w.run("cache", "key", "team-1")
	if o.code != 0 {
		t.Fatalf("cache key: %s", o)
	}
	pub := strings.TrimSpace(o.stdout)
	secret := filepath.Join(filepath.Dir(w.config), "team-1.secret")
	if got, err := cache.ReadSecretKey(secret); err != nil || got != pub || !strings.HasPrefix(pub, "team-1:") {
		t.Fatalf("stdout %q, secret key's public half %q (%v): want the same team-1 key", pub, got, err)
	}
	if st, err := os.Stat(secret); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("secret key file mode %v (%v), want 0600", st.Mode().Perm(), err)
	}
	text := string(readFile(t, w.config))
	if !strings.HasPrefix(text, "# my settings\n[vm]\ncpus = 2 # enough\n") {
		t.Errorf("config lost its comments:\n%s", text)
	}
	c, err := config.Load(w.config)
	if err != nil || c.Cache.PublicKey != pub || c.Cache.SecretKeyFile != secret {
		t.Fatalf("config [cache] = %+v (%v), want the new key", c.Cache, err)
	}
	if strings.Contains(o.stderr, strings.TrimPrefix(string(readFile(t, secret)), "team-1:")[:20]) {
		t.Errorf("the secret key was printed:\n%s", o.stderr)
	}
	again := w.run("cache", "key", "team-1")
	if again.code != 1 || !strings.Contains(again.stderr, "remove it first") {
		t.Errorf("second cache key: %s\nwant a refusal to replace the key", again)
	}
	if got, _ := cache.ReadSecretKey(secret); got != pub {
		t.Errorf("the key was replaced")
	}
	if bad := w.run("cache", "key", "a:b"); bad.code != 1 || !strings.Contains(bad.stderr, "key name") {
		t.Errorf("cache key a:b: %s\nwant a usage error about the name", bad)
	}
}

// TestCacheURLCredentialsWarn: a cache URL with a password loads, and
// every command that loads the config warns without showing it.
func TestCacheURLCredentialsWarn(t *testing.T) {
	w := newWorld(t)
	k, _ := cache.NewKeyPair("team-1")
	w.writeConfig("[builder]\nbackend = \"local\"\n\n[cache]\nurl = \"https://ana:s3cret@cache.example.com\"\npublic_key = \"" + k.Public + "\"\n")
	o := w.run("status")
	if o.code != 0 || !strings.Contains(o.stderr, "warning: ") || !strings.Contains(o.stderr, "[cache] url: https://***@cache.example.com carries a user name or token") || strings.Contains(o.stderr, "s3cret") {
		t.Errorf("status: %s\nwant a warning about [cache] url without the password", o)
	}
}
