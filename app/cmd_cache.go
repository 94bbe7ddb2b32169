package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"nixpass/builder/cache"
	"nixpass/builder/config"
)

// cmdCache runs `nixpass cache key NAME`: a new signing key for the
// team's cache, in nixpass's config folder, set in the config.
func cmdCache(c *cli, ctx context.Context, args []string) int {
	fs := c.flags("cache")
	if len(args) == 0 || args[0] != "key" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			c.printUsage(c.stdout, fs)
			return 0
		}
		return c.usageError(fs, "the only cache command is: cache key NAME")
	}
	pos, code, ok := c.parseArgs(fs, args[1:], 1, 1)
	if !ok {
		return code
	}
	k, err := cache.NewKeyPair(pos[0])
	if err != nil {
		return c.usageError(fs, err.Error())
	}
	path, err := filepath.Abs(c.cfgPath())
	if err != nil {
		return c.fail(err)
	}
	secret, err := cache.WriteKeyPair(filepath.Dir(path), k)
	if errors.Is(err, cache.ErrKeyExists) {
		fmt.Fprintf(c.stderr, "nixpass cache key: %v\n", err)
		return exitUsage
	}
	if err != nil {
		return c.fail(err)
	}
	if err := config.SetCacheKey(path, secret, k.Public); err != nil {
		fmt.Fprintf(c.stderr, "nixpass cache key: the key is in %s, but the config was not changed:\n", secret)
		return c.fail(err)
	}
	if c.json {
		c.printJSON(struct {
			PublicKey     string `json:"public_key"`
			SecretKeyFile string `json:"secret_key_file"`
		}{k.Public, secret})
		return 0
	}
	fmt.Fprintf(c.stderr, "made the signing key %s (keep it secret: anyone with it can sign for your cache)\nset [cache] secret_key_file and public_key in %s\nhand this public key to colleagues and CI ([cache] public_key, or trusted-public-keys in nix.conf):\n", secret, path)
	fmt.Fprintln(c.stdout, k.Public)
	return 0
}
