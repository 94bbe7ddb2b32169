package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestSize(t *testing.T) {
	tests := []struct {
		in   string
		want Size
		str  string
		err  bool
	}{
		{"8G", 8 << 30, "8G", false},
		{"512M", 512 << 20, "512M", false},
		{"1.5G", 1536 << 20, "1536M", false},
		{"40GiB", 40 << 30, "40G", false},
		{"2gb", 2 << 30, "2G", false},
		{"1048576", 1 << 20, "1M", false},
		{"8X", 0, "", true},
		{"", 0, "", true},
		{"-1G", 0, "", true},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if (err != nil) != tt.err || got != tt.want || (!tt.err && got.String() != tt.str) {
			t.Errorf("ParseSize(%q) = %v (%s), %v; want %v (%s), err %v", tt.in, int64(got), got, err, int64(tt.want), tt.str, tt.err)
		}
	}
}

func TestDefaults(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
	if c.VM.Memory < 2<<30 || c.VM.Memory > 8<<30 || c.VM.Memory%(1<<30) != 0 {
		t.Errorf("default memory %s outside 2G..8G whole GiB", c.VM.Memory)
	}
	if c.VM.Disk != 40<<30 || c.VM.Name != "nixpass" || c.Builder.Timeout.D() != 2*time.Hour || c.Scheduler.Quiet.D() != 500*time.Millisecond {
		t.Errorf("defaults: %+v", c)
	}
	p := NewProject("/a/b")
	if p.File != "default.nix" || p.Output != "result.tar.gz" || !p.Watching() {
		t.Errorf("project defaults: %+v", p)
	}
}

func TestParseErrorsNameLineAndKey(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"unknown top key", "[vm]\nname = \"x\"\nmemroy = \"8G\"\n", []string{"c.toml:3", "vm.memroy", "unknown key"}},
		{"unknown project key", "[[project]]\npath = \"/a\"\noutptu = \"x\"\n", []string{"c.toml:3", "outptu", "unknown key"}},
		{"bad size", "[vm]\nmemory = \"8X\"\n", []string{"c.toml:2", "vm.memory", "invalid size"}},
		{"bad type", "[vm]\ncpus = \"four\"\n", []string{"c.toml:2", "vm.cpus", "wrong type"}},
		{"bad backend", "\n[builder]\nbackend = \"docker\"\n", []string{"c.toml:3", "builder.backend", "multipass"}},
		{"max wait", "[scheduler]\nquiet = \"2s\"\nmax_wait = \"1s\"\n", []string{"c.toml:3", "scheduler.max_wait"}},
		{"relative path", "[[project]]\npath = \"rel\"\n", []string{"c.toml:2", "project[1].path", "absolute"}},
		{"file and flake", "[[project]]\npath = \"/a\"\n\n[[project]]\npath = \"/b\"\nfile = \"x.nix\"\nflake = \".#i\"\n", []string{"c.toml:7", "project[2].flake"}},
		{"duplicate", "[[project]]\npath = \"/a\"\n[[project]]\npath = \"/a/\"\n", []string{"c.toml:4", "already registered"}},
		{"bad output", "[[project]]\npath = \"/a\"\noutput = \"result\"\n", []string{"c.toml:3", "output"}},
		{"bad args", "[[project]]\npath = \"/a\"\nargs = [\"--foo\", \"a\", \"b\"]\n", []string{"c.toml:3", "args"}},
		{"syntax", "[vm\n", []string{"c.toml:1"}},
		{"vm name", "[vm]\nname = \"1bad name\"\n", []string{"c.toml:2", "vm.name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.text), "c.toml")
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestParseFull(t *testing.T) {
	text := `[builder]
backend = "multipass"
timeout = "30m"
[vm]
cpus = 3
memory = "6G"
idle_stop = "30m"
[scheduler]
restart = true
on_quit = "finish"
[notify]
success = false
[[project]]
path = "/p"
flake = ".#image"
watch = false
docker_load = true
`
	c, err := Parse(strings.NewReader(text), "c.toml")
	if err != nil {
		t.Fatal(err)
	}
	p, ok := c.Project("/p/")
	if c.Builder.Timeout.D() != 30*time.Minute || c.VM.CPUs != 3 || c.VM.Memory != 6<<30 || c.VM.IdleStop.D() != 30*time.Minute ||
		!c.Scheduler.Restart || c.Scheduler.OnQuit != "finish" || c.Notify.Success || !ok || p.Watching() || !p.DockerLoad || p.File != "" {
		t.Errorf("parsed %+v, project %+v", c, p)
	}
}

func TestPathsFromEnv(t *testing.T) {
	t.Setenv("NIXPASS_CONFIG", "/x/c.toml")
	t.Setenv("NIXPASS_STATE_DIR", "/s")
	if Path() != "/x/c.toml" {
		t.Errorf("Path = %q", Path())
	}
	if d, _ := StateDir(); d != "/s" {
		t.Errorf("StateDir = %q", d)
	}
	if d, _ := LogDir(); d != "/s/logs" {
		t.Errorf("LogDir = %q", d)
	}
	c, err := Load(filepath.Join(t.TempDir(), "missing.toml"))
	if err != nil || c.VM.Name != "nixpass" {
		t.Errorf("Load(missing) = %+v, %v", c, err)
	}
}

func TestEditsKeepComments(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.toml")
	orig := "# my settings\n[vm]\nmemory = \"6G\" # roomy\n\n# the api\n[[project]]\npath = \"/api\"\n# keep me\n\n[notify]\nsuccess = false\n"
	if err := os.WriteFile(path, []byte(orig), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := AddProject(path, Project{Path: "/web", Flake: ".#img"}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(b), orig) || !strings.Contains(string(b), "[[project]]\npath = \"/web\"\nflake = \".#img\"\n") {
		t.Fatalf("after add:\n%s", b)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode changed to %v", st.Mode().Perm())
	}
	if err := SetProjectWatch(path, "/api", false); err != nil {
		t.Fatal(err)
	}
	if err := RemoveProject(path, "/web"); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(path)
	want := "# my settings\n[vm]\nmemory = \"6G\" # roomy\n\n# the api\n[[project]]\nwatch = false\npath = \"/api\"\n# keep me\n\n[notify]\nsuccess = false\n"
	if strings.TrimRight(string(b), "\n") != strings.TrimRight(want, "\n") {
		t.Errorf("after set+remove:\n%q\nwant\n%q", b, want)
	}
	if err := AddProject(path, Project{Path: "/api"}); !errors.Is(err, ErrProjectExists) {
		t.Errorf("re-add: %v", err)
	}
	if err := RemoveProject(path, "/nope"); !errors.Is(err, ErrProjectNotFound) {
		t.Errorf("remove unknown: %v", err)
	}
}

func TestBrokenFileIsNeverRewritten(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.toml")
	broken := "[vm\nmemory = 1\n"
	os.WriteFile(path, []byte(broken), 0o644)
	err := AddProject(path, Project{Path: "/x"})
	if err == nil || !strings.Contains(err.Error(), "c.toml:1") {
		t.Errorf("err = %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != broken {
		t.Errorf("file changed: %q", b)
	}
}

func TestHostilePathRoundTrips(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.toml")
	dir := "/tmp/it's \"q\" $(rm -rf ~) `x` \\ back\nnew\ttab ünï"
	if err := AddProject(path, Project{Path: dir, Args: []string{"--argstr", "tag", "a\"b"}}); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	p, ok := c.Project(dir)
	if !ok || p.Args[2] != "a\"b" {
		t.Fatalf("project not found back: %+v", c.Projects)
	}
}

func TestConcurrentAdds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.toml")
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- AddProject(path, Project{Path: fmt.Sprintf("/p%d", i)})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	c, err := Load(path)
	if err != nil || len(c.Projects) != 8 {
		t.Fatalf("got %d projects, %v", len(c.Projects), err)
	}
}
