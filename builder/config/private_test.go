package config

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	plantedToken = "TOKEN-planted-4242"
	redactedHint = "gopher://***@old"
)

func TestTightenMakesOldFoldersPrivateOnce(t *testing.T) {
	root := t.TempDir()
	state := filepath.Join(root, "state")
	logs := filepath.Join(root, "logs")
	cfgDir := filepath.Join(root, "cfg", "nixpass")
	files := map[string]fs.FileMode{
		filepath.Join(state, "history.jsonl"):            0o644,
		filepath.Join(state, "bin", "nixpass-build-abc"): 0o755,
		filepath.Join(state, "records", "x.json"):        0o600,
		filepath.Join(logs, "builds", "p-1", "a.log"):    0o644,
		filepath.Join(cfgDir, "config.toml"):             0o664,
	}
	for p, mode := range files {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	// A symlink out of the state folder is not followed.
	outside := filepath.Join(root, "outside")
	if err := os.WriteFile(outside, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(outside, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(state, "link")); err != nil {
		t.Fatal(err)
	}
	changed, err := Tighten(state, logs, filepath.Join(cfgDir, "config.toml"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]fs.FileMode{
		state: 0o700, filepath.Join(state, "bin"): 0o700, logs: 0o700, cfgDir: 0o700,
		filepath.Join(state, "history.jsonl"):            0o600,
		filepath.Join(state, "bin", "nixpass-build-abc"): 0o700,
		filepath.Join(state, "records", "x.json"):        0o600,
		filepath.Join(logs, "builds", "p-1", "a.log"):    0o600,
		filepath.Join(cfgDir, "config.toml"):             0o600,
		outside:                                          0o644,
	}
	for p, mode := range want {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != mode {
			t.Errorf("%s: mode %04o, want %04o", p, got, mode)
		}
	}
	if len(changed) < 8 || !strings.Contains(strings.Join(changed, "\n"), "history.jsonl: 0644 → 0600") {
		t.Errorf("changed = %q, want every loosened path, history.jsonl among them", changed)
	}
	// Once: a file loosened now is left alone.
	if err := os.Chmod(filepath.Join(state, "history.jsonl"), 0o644); err != nil {
		t.Fatal(err)
	}
	again, err := Tighten(state, logs, filepath.Join(cfgDir, "config.toml"))
	if err != nil || len(again) != 0 {
		t.Errorf("second Tighten = %q, %v; want nothing (it runs once)", again, err)
	}
}

func TestTightenLeavesAForeignConfigFolder(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "project")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "nixpass.toml")
	if err := os.WriteFile(cfg, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Tighten(filepath.Join(root, "state"), filepath.Join(root, "state", "logs"), cfg); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]fs.FileMode{dir: 0o755, cfg: 0o600} {
		st, _ := os.Stat(p)
		if got := st.Mode().Perm(); got != want {
			t.Errorf("%s: mode %04o, want %04o", p, got, want)
		}
	}
}

func TestWarningsNameURLsWithUserInfo(t *testing.T) {
	text := `[builder]
substituters = ["https://cache.nixos.org", "https://u:` + plantedToken + `@cache.example.org"]
builders = ["ssh://nix@builder x86_64-linux /root/.ssh/id 4"]

[[project]]
path = "/srv/a"
flake = "git+https://oauth2:` + plantedToken + `@gitlab.example.com/a/b.git#image"

[[project]]
path = "/srv/b"
args = ["--argstr", "src", "https://` + plantedToken + `@github.com/o/r"]
`
	c, err := Parse(strings.NewReader(text), "config.toml")
	if err != nil {
		t.Fatal(err)
	}
	got := c.Warnings()
	wantKeys := []string{"[builder] substituters element 2", "[[project]] #1 flake", "[[project]] #2 args"}
	if len(got) != len(wantKeys) {
		t.Fatalf("got %d warnings, want %d:\n%s", len(got), len(wantKeys), strings.Join(got, "\n"))
	}
	for i, w := range got {
		if !strings.HasPrefix(w, wantKeys[i]+": ") || !strings.Contains(w, "netrc") {
			t.Errorf("warning %d = %q, want it to name %q and netrc", i, w, wantKeys[i])
		}
		if strings.Contains(w, plantedToken) {
			t.Errorf("warning %d shows the token: %q", i, w)
		}
	}
	if w := ProjectWarnings(c.Projects[0]); len(w) != 1 || !strings.HasPrefix(w[0], "flake: ") {
		t.Errorf("ProjectWarnings = %q, want one about flake", w)
	}
}

func TestConfigErrorsMaskTokens(t *testing.T) {
	text := `[builder]
backend = "local"
substituters = ["https://u:` + plantedToken + `@cache.example.org", "gopher://u:` + plantedToken + `@old.example.org/a b"]

[[project]]
path = "relative"
flake = "git+https://oauth2:` + plantedToken + `@gitlab.example.com/a/b.git"
file = "x.nix"
`
	_, err := Parse(strings.NewReader(text), "config.toml")
	if err == nil {
		t.Fatal("Parse accepted a bad config")
	}
	if !strings.Contains(err.Error(), redactedHint) {
		t.Errorf("config error does not quote the masked value:\n%v", err)
	}
	if strings.Contains(err.Error(), plantedToken) {
		t.Errorf("config error shows the token:\n%v", err)
	}
}
