package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testPub = "team-1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

func TestParseCache(t *testing.T) {
	text := "[cache]\nurl = \"https://cache.example.com\"\npublic_key = \"" + testPub + "\"\n" +
		"upload = \"s3://bucket?region=eu-west-1\"\nsecret_key_file = \"/keys/team-1.secret\"\ninclude_build_deps = true\n"
	c, err := Parse(strings.NewReader(text), "config.toml")
	if err != nil {
		t.Fatal(err)
	}
	want := Cache{URL: "https://cache.example.com", PublicKey: testPub, Upload: "s3://bucket?region=eu-west-1",
		SecretKeyFile: "/keys/team-1.secret", IncludeBuildDeps: true}
	if c.Cache != want {
		t.Errorf("Cache = %+v, want %+v", c.Cache, want)
	}
	if w := c.Warnings(); len(w) != 0 {
		t.Errorf("Warnings = %q, want none", w)
	}
}

func TestParseCacheProblems(t *testing.T) {
	tests := []struct {
		name string
		text string
		want wantErr
	}{
		{"key does not parse", "[cache]\nurl = \"https://c.example\"\npublic_key = \"team-1:abc\"\n",
			wantErr{3, 14, "cache.public_key", "not a 32-byte ed25519 public key in base64"}},
		{"key without name", "[cache]\nurl = \"https://c.example\"\npublic_key = \"6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=\"\n",
			wantErr{3, 14, "cache.public_key", "nix key convert-secret-to-public"}},
		{"url without key", "[cache]\nurl = \"https://c.example\"\n",
			wantErr{1, 2, "cache.public_key", "is missing: Nix uses only signed paths"}},
		{"url scheme", "[cache]\nurl = \"ftp://c.example\"\npublic_key = \"" + testPub + "\"\n",
			wantErr{2, 7, "cache.url", "the scheme ftp:// is not one nixpass uses"}},
		{"url relative file", "[cache]\nurl = \"file://cache\"\npublic_key = \"" + testPub + "\"\n",
			wantErr{2, 7, "cache.url", "names no absolute folder"}},
		{"url not a url", "[cache]\nurl = \"cache.example.com\"\npublic_key = \"" + testPub + "\"\n",
			wantErr{2, 7, "cache.url", "is not a store URL"}},
		{"upload without key", "[cache]\nupload = \"file:///srv/cache\"\n",
			wantErr{1, 2, "cache.secret_key_file", "nixpass cache key NAME"}},
		{"upload scheme", "[cache]\nupload = \"gs://b\"\nsecret_key_file = \"/k\"\n",
			wantErr{2, 10, "cache.upload", "the scheme gs://"}},
		{"upload with space", "[cache]\nupload = \"file:///a b\"\nsecret_key_file = \"/k\"\n",
			wantErr{2, 10, "cache.upload", "may not contain spaces"}},
		{"relative key file", "[cache]\nupload = \"file:///srv/c\"\nsecret_key_file = \"k.sec\"\n",
			wantErr{3, 19, "cache.secret_key_file", "is relative"}},
		{"build deps without upload", "[cache]\ninclude_build_deps = true\n",
			wantErr{2, 22, "cache.include_build_deps", "upload is not set"}},
		{"wrong type", "[cache]\ninclude_build_deps = \"yes\"\n",
			wantErr{2, 22, "cache.include_build_deps", "want true or false"}},
		{"unknown key", "[cache]\npublic_keys = \"x\"\n",
			wantErr{2, 1, "cache.public_keys", `did you mean "public_key"?`}},
		{"loopback upload from the VM", "[builder]\nbackend = \"multipass\"\n[cache]\nupload = \"http://127.0.0.1:8080/c\"\nsecret_key_file = \"/k\"\n",
			wantErr{4, 10, "cache.upload", "where 127.0.0.1 is the VM itself, not this computer"}},
		{"localhost ssh upload from the VM", "[builder]\nbackend = \"multipass\"\n[cache]\nupload = \"ssh-ng://ana@localhost\"\nsecret_key_file = \"/k\"\n",
			wantErr{4, 10, "cache.upload", "192.168.64.1"}},
		{"s3 endpoint on loopback from the VM", "[builder]\nbackend = \"multipass\"\n[cache]\nupload = \"s3://b?endpoint=http://[::1]:9000\"\nsecret_key_file = \"/k\"\n",
			wantErr{4, 10, "cache.upload", "::1 is the VM itself"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErrs(t, parseErr(t, tt.text), tt.want)
		})
	}
}

// A loopback upload is fine where builds run on this host; a host the VM
// reaches, or a folder, is fine from the VM.
func TestCacheUploadHostsAccepted(t *testing.T) {
	for _, text := range []string{
		"[builder]\nbackend = \"local\"\n[cache]\nupload = \"http://127.0.0.1:8080/c\"\nsecret_key_file = \"/k\"\n",
		"[builder]\nbackend = \"multipass\"\n[cache]\nupload = \"http://192.168.64.1:8080/c\"\nsecret_key_file = \"/k\"\n",
		"[builder]\nbackend = \"multipass\"\n[cache]\nupload = \"https://localhost.example.com/c\"\nsecret_key_file = \"/k\"\n",
		"[builder]\nbackend = \"multipass\"\n[cache]\nupload = \"file:///srv/cache\"\nsecret_key_file = \"/k\"\n",
	} {
		if _, err := Parse(strings.NewReader(text), "config.toml"); err != nil {
			t.Errorf("Parse(%q): %v, want no problem", text, err)
		}
	}
}

func TestCacheWarnsOfCredentials(t *testing.T) {
	text := "[cache]\nurl = \"https://ana:s3cret@cache.example.com\"\npublic_key = \"" + testPub + "\"\n" +
		"upload = \"https://up:t0ken@up.example.com/c\"\nsecret_key_file = \"/k\"\n"
	c, err := Parse(strings.NewReader(text), "config.toml")
	if err != nil {
		t.Fatal(err)
	}
	w := c.Warnings()
	if len(w) != 2 || !strings.HasPrefix(w[0], "[cache] url: ") || !strings.HasPrefix(w[1], "[cache] upload: ") {
		t.Fatalf("Warnings = %q, want one for cache.url and one for cache.upload", w)
	}
	for _, s := range w {
		if strings.Contains(s, "s3cret") || strings.Contains(s, "t0ken") || !strings.Contains(s, "netrc") {
			t.Errorf("warning %q shows the password or lacks the netrc hint", s)
		}
	}
	// An ssh store's user name is how the store is named, not a secret.
	c.Cache.URL, c.Cache.Upload = "", "ssh://ana@box/srv/cache"
	if w := c.Warnings(); len(w) != 0 {
		t.Errorf("Warnings for an ssh user name = %q, want none", w)
	}
}

func TestSetCacheKey(t *testing.T) {
	const sec = "/home/ana/.config/nixpass/team-1.secret"
	tests := []struct {
		name, before, want string
	}{
		{"no cache table",
			"# mine\n[vm]\ncpus = 2 # two\n",
			"# mine\n[vm]\ncpus = 2 # two\n\n[cache]\npublic_key = \"" + testPub + "\"\nsecret_key_file = \"" + sec + "\"\n"},
		{"empty cache table",
			"[cache]\n# ours\n\n[[project]]\npath = \"/p\"\n",
			"[cache]\npublic_key = \"" + testPub + "\"\nsecret_key_file = \"" + sec + "\"\n# ours\n\n[[project]]\npath = \"/p\"\n"},
		{"old key replaced in place",
			"[cache]\nurl = \"https://c.example\"\npublic_key = \"old-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=\" # was\nsecret_key_file = \"/old\"\n",
			"[cache]\nurl = \"https://c.example\"\npublic_key = \"" + testPub + "\" # was\nsecret_key_file = \"" + sec + "\"\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.toml")
			write(t, path, tt.before)
			if err := SetCacheKey(path, sec, testPub); err != nil {
				t.Fatal(err)
			}
			if got := read(t, path); got != tt.want {
				t.Errorf("file =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestSetCacheKeyCreatesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nixpass", "config.toml")
	if err := SetCacheKey(path, "/k/team-1.secret", testPub); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Cache.SecretKeyFile != "/k/team-1.secret" || c.Cache.PublicKey != testPub {
		t.Errorf("Cache = %+v, want the key set", c.Cache)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(read(t, path), "# url = ") {
		t.Errorf("created file lacks the commented reference:\n%s", read(t, path))
	}
}
