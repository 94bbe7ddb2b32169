package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

const hostKeyB64 = "c3NoLWVkMjU1MTkgQUFBQUMzTnphQzFsWkRJMU5URTVBQUFBSUF1dHNJVkR4a0NISzJ6b1BQdzJzTkpDYy9BR0NjTnJrbG9aZzJjaHdmZFkgcm9vdEBiaWdib3gK"

func TestParseRemoteBuilders(t *testing.T) {
	text := `[builder]
builders = ["ssh-ng://me@bigbox x86_64-linux,aarch64-linux /Users/me/.ssh/nix_builder 16 1 big-parallel - ` + hostKeyB64 + `", "ssh://team"]
builders_use_substitutes = true
max_jobs = 0
substituters = ["https://cache.nixos.org", "https://my-team.cachix.org"]
trusted_public_keys = ["cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY="]
`
	c, err := Parse(strings.NewReader(text), "config.toml")
	if err != nil {
		t.Fatal(err)
	}
	b := c.Builder
	if len(b.Builders) != 2 || b.Builders[1] != "ssh://team" || b.BuildersUseSubstitutes == nil || !*b.BuildersUseSubstitutes ||
		b.MaxJobs == nil || *b.MaxJobs != 0 || len(b.Substituters) != 2 || len(b.TrustedPublicKeys) != 1 {
		t.Errorf("parsed %+v", b)
	}

	// Left out: nil, so Nix's own settings stay; an empty list is kept
	// apart from a missing one (substituters = [] means no caches).
	c, err = Parse(strings.NewReader("[builder]\nsubstituters = []\n"), "config.toml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Builder.MaxJobs != nil || c.Builder.BuildersUseSubstitutes != nil || c.Builder.Builders != nil || c.Builder.Substituters == nil {
		t.Errorf("omitted keys: %+v", c.Builder)
	}
}

func TestParseRemoteBuildersErrors(t *testing.T) {
	tests := []struct {
		name, line, key, msg string
	}{
		{"not a list", `builders = "ssh-ng://a"`, "builder.builders", "want a list of strings"},
		{"no scheme", `builders = ["bigbox x86_64-linux"]`, "builder.builders", `element 1: the URI "bigbox" must start with ssh-ng:// or ssh://`},
		{"port", `builders = ["ssh-ng://me@bigbox:2222"]`, "builder.builders", "ssh config alias"},
		{"semicolon", `builders = ["ssh://a; ssh://b"]`, "builder.builders", "may not contain ';'"},
		{"system", `builders = ["ssh-ng://a x86_64"]`, "builder.builders", `systems: "x86_64" is not a Nix system`},
		{"relative key", `builders = ["ssh-ng://a x86_64-linux .ssh/id"]`, "builder.builders", "must be an absolute path"},
		{"jobs", `builders = ["ssh-ng://a - - many"]`, "builder.builders", `max jobs: "many" is not a whole number`},
		{"feature", `builders = ["ssh-ng://a - - 1 1 big/parallel"]`, "builder.builders", "supported features"},
		{"host key", `builders = ["ssh-ng://a - - 1 1 - - bm90IGEga2V5"]`, "builder.builders", "host key: not the base64"},
		{"too many", `builders = ["ssh-ng://a - /a b 1 1 - - - -"]`, "builder.builders", "at most 8"},
		{"second bad", `builders = ["ssh-ng://a", ""]`, "builder.builders", "element 2: is empty"},
		{"max_jobs negative", "builders = [\"ssh-ng://a\"]\nmax_jobs = -1", "builder.max_jobs", "must be 0"},
		{"max_jobs type", `max_jobs = "0"`, "builder.max_jobs", "want a whole number"},
		{"max_jobs 0 alone", `max_jobs = 0`, "builder.max_jobs", "builders is empty"},
		{"use_substitutes", `builders_use_substitutes = "yes"`, "builder.builders_use_substitutes", "want true or false"},
		{"substituter", `substituters = ["cache.nixos.org"]`, "builder.substituters", "not a binary cache URL"},
		{"cache key", `trusted_public_keys = ["cache.nixos.org-1"]`, "builder.trusted_public_keys", "is not a cache key NAME:BASE64"},
		{"cache key size", `trusted_public_keys = ["c:aGVsbG8="]`, "builder.trusted_public_keys", "32-byte"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := "# remote\n[builder]\n" + tt.line + "\n"
			_, err := Parse(strings.NewReader(text), "config.toml")
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("got %v, want a ParseError", err)
			}
			if pe.File != "config.toml" || pe.Line < 3 || pe.Key != tt.key || !strings.Contains(pe.Msg, tt.msg) {
				t.Errorf("got %s (line %d, key %q), want line 3+, key %q, message containing %q", pe, pe.Line, pe.Key, tt.key, tt.msg)
			}
		})
	}
}

func TestRenderRemoteRoundTrip(t *testing.T) {
	zero, yes := 0, true
	for _, b := range []Builder{
		{},
		{Builders: []string{"ssh-ng://a x86_64-linux /k 2"}, MaxJobs: &zero, BuildersUseSubstitutes: &yes,
			Substituters: []string{}, TrustedPublicKeys: []string{"cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY="}},
	} {
		c := Default()
		c.Builder.Builders, c.Builder.MaxJobs, c.Builder.BuildersUseSubstitutes = b.Builders, b.MaxJobs, b.BuildersUseSubstitutes
		c.Builder.Substituters, c.Builder.TrustedPublicKeys = b.Substituters, b.TrustedPublicKeys
		out, err := Render(c)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Parse(strings.NewReader(string(out)), "rendered")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Builder, c.Builder) {
			t.Errorf("round trip: got %+v, want %+v\n%s", got.Builder, c.Builder, out)
		}
	}
}
