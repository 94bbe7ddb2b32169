package fast

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"nixpass/builder"
	"nixpass/builder/config"
	"nixpass/builder/store"
)

// TestAttemptHandsOver: every build the front does not finish is handed
// over before it said or recorded anything, for its own reason: the
// config loads in each case, and the project has a last good image, so
// only the rule keeps the front from asking Nix, as it does in the first
// case (whose project Nix finds out of date: handed over with its key,
// its log removed).
func TestAttemptHandsOver(t *testing.T) {
	if _, err := exec.LookPath("nix-build"); err != nil {
		t.Fatal("nix-build is not installed: apt-get install nix-bin")
	}
	for _, tt := range []struct {
		name, config string
		// marker, when set, puts a running build of the project on record.
		marker bool
		// asks is set when the front asks Nix: no rule applies.
		asks bool
		// built is false for a project without a last good image.
		unbuilt bool
	}{
		{name: "no rule: Nix is asked", config: "[builder]\nbackend = \"local\"\n", asks: true},
		{name: "a push not yet made", config: "[builder]\nbackend = \"local\"\n[[project]]\npath = \"DIR\"\npush = \"localhost:5000/p:t\"\n"},
		{name: "the VM backend", config: "[builder]\nbackend = \"multipass\"\n"},
		{name: "remote builders (the trust check reads NSS groups)", config: "[builder]\nbackend = \"local\"\nbuilders = [\"ssh://b x86_64-linux\"]\n"},
		{name: "a team cache upload", config: "[builder]\nbackend = \"local\"\n[cache]\nupload = \"file:///tmp/cache\"\nsecret_key_file = \"/tmp/sk\"\n"},
		{name: "a config warning to say", config: "[builder]\nbackend = \"local\"\nsubstituters = [\"https://u:p@cache.example\"]\n"},
		{name: "several systems", config: "[builder]\nbackend = \"local\"\n[[project]]\npath = \"DIR\"\nsystems = [\"x86_64-linux\", \"aarch64-linux\"]\n"},
		{name: "never built", config: "[builder]\nbackend = \"local\"\n", unbuilt: true},
		{name: "a running build of the same request", config: "[builder]\nbackend = \"local\"\n", marker: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "proj")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "default.nix"), []byte("{}\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			state := filepath.Join(root, "state")
			t.Setenv("NIXPASS_STATE_DIR", state)
			cfg := filepath.Join(root, "config.toml")
			if err := os.WriteFile(cfg, []byte(strings.ReplaceAll(tt.config, "DIR", dir)), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := config.Load(cfg); err != nil {
				t.Fatalf("the case's config does not load: %v", err)
			}
			s := &store.Store{StateDir: state, LogDir: filepath.Join(state, "logs")}
			if !tt.unbuilt {
				// A last good image, whose store path Nix will not find.
				out := filepath.Join(dir, "result.tar.gz")
				if err := os.WriteFile(out, []byte("image"), 0o644); err != nil {
					t.Fatal(err)
				}
				st, _ := os.Stat(out)
				good := &store.GoodOutput{StorePath: "/nix/store/00000000000000000000000000000000-img.tar.gz", Output: out, Size: st.Size(), ModTime: st.ModTime()}
				if err := s.Record(&builder.Result{Project: dir, Status: builder.StatusSucceeded, Kind: builder.KindOK, Output: out}, good); err != nil {
					t.Fatal(err)
				}
			}
			seeded, _ := s.ProjectHistory(dir)
			if tt.marker {
				np := config.NewProject(dir)
				l, err := s.BeginBuild(store.RunningMarker{Token: "other", Project: dir, PID: os.Getpid() + 1, Started: time.Now(),
					Request: Request(np).RequestKey()})
				if err != nil {
					t.Fatal(err)
				}
				defer l.Release()
			}
			res, stale := Attempt{Config: cfg, Dir: dir}.Build(context.Background())
			if res != nil || (stale != "") != tt.asks {
				t.Fatalf("got %+v, stale %q; want it handed over, Nix asked: %v", res, stale, tt.asks)
			}
			logs, _ := filepath.Glob(filepath.Join(state, "logs", "builds", "*", "*.log"))
			_, folder := os.Stat(filepath.Join(state, "logs"))
			if len(logs) != 0 || tt.asks == os.IsNotExist(folder) {
				t.Errorf("logs %q (folder made: %v): the front's attempt must leave none, and start one only when it asks Nix", logs, folder == nil)
			}
			if h, _ := s.ProjectHistory(dir); len(h) != len(seeded) {
				t.Errorf("recorded %d results", len(h)-len(seeded))
			}
			if ents, _ := os.ReadDir(filepath.Join(state, "running")); len(ents) != map[bool]int{true: 1}[tt.marker] {
				t.Errorf("running markers %v", ents)
			}
		})
	}
}
