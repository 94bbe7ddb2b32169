package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestValidateRules(t *testing.T) {
	tests := []struct {
		name   string
		change func(c *Config)
		key    string
		msg    string
	}{
		{"backend", func(c *Config) { c.Builder.Backend = "docker" }, "builder.backend", `not "docker"`},
		{"multipass", func(c *Config) { c.Builder.Multipass = " " }, "builder.multipass", "must name the multipass CLI"},
		{"timeout zero", func(c *Config) { c.Builder.Timeout = 0 }, "builder.timeout", "not more than zero"},
		{"timeout negative", func(c *Config) { c.Builder.Timeout = Duration(-time.Second) }, "builder.timeout", "not more than zero"},
		{"name empty", func(c *Config) { c.VM.Name = "" }, "vm.name", "not a Multipass instance name"},
		{"name digit", func(c *Config) { c.VM.Name = "1vm" }, "vm.name", "starting with a letter"},
		{"name space", func(c *Config) { c.VM.Name = "my vm" }, "vm.name", "letters, digits and '-'"},
		{"name underscore", func(c *Config) { c.VM.Name = "my_vm" }, "vm.name", "letters, digits and '-'"},
		{"name trailing dash", func(c *Config) { c.VM.Name = "vm-" }, "vm.name", "not ending with '-'"},
		{"cpus", func(c *Config) { c.VM.CPUs = 0 }, "vm.cpus", "at least 1"},
		{"memory", func(c *Config) { c.VM.Memory = 511 * MiB }, "vm.memory", "at least 512M"},
		{"disk", func(c *Config) { c.VM.Disk, c.VM.Swap = GiB-1, 0 }, "vm.disk", "at least 1G"},
		{"image", func(c *Config) { c.VM.Image = "" }, "vm.image", `e.g. "24.04"`},
		{"swap negative", func(c *Config) { c.VM.Swap = -1 }, "vm.swap", `must be "0"`},
		{"swap too big", func(c *Config) { c.VM.Swap = c.VM.Disk }, "vm.swap", "does not fit on the 40G disk"},
		{"idle_stop", func(c *Config) { c.VM.IdleStop = Duration(-time.Minute) }, "vm.idle_stop", "not -1m"},
		{"quiet", func(c *Config) { c.Scheduler.Quiet = 0 }, "scheduler.quiet", "not more than zero"},
		{"max_wait", func(c *Config) { c.Scheduler.MaxWait = Duration(100 * time.Millisecond) },
			"scheduler.max_wait", "max_wait (100ms) is shorter than quiet (500ms)"},
		{"on_quit", func(c *Config) { c.Scheduler.OnQuit = "stop" }, "scheduler.on_quit", `"cancel"`},
		{"path missing", func(c *Config) { c.Projects = []Project{{File: "x.nix"}} }, `[[project]] #1 key "path"`, "is missing"},
		{"path relative", func(c *Config) { c.Projects = []Project{{Path: "src/api"}} }, `[[project]] #1 key "path"`, `"src/api" is relative`},
		{"path not UTF-8", func(c *Config) { c.Projects = []Project{{Path: "/a\xff"}} }, `[[project]] #1 key "path"`, "not valid UTF-8"},
		{"path with NUL", func(c *Config) { c.Projects = []Project{{Path: "/a\x00b"}} }, `[[project]] #1 key "path"`, "NUL"},
		{"path duplicate", func(c *Config) { c.Projects = []Project{{Path: "/a"}, {Path: "/b"}, {Path: "/a/./"}} },
			`[[project]] #3 key "path"`, "already registered by [[project]] #1"},
		{"file and flake", func(c *Config) { c.Projects = []Project{{Path: "/a", File: "a.nix", Flake: ".#a"}} },
			`[[project]] #1 key "flake"`, "file or flake, not both"},
		{"file absolute", func(c *Config) { c.Projects = []Project{{Path: "/a", File: "/etc/a.nix"}} },
			`[[project]] #1 key "file"`, "inside the project folder"},
		{"file outside", func(c *Config) { c.Projects = []Project{{Path: "/a", File: "../b/default.nix"}} },
			`[[project]] #1 key "file"`, "inside the project folder"},
		{"attr with flake", func(c *Config) { c.Projects = []Project{{Path: "/a", Flake: ".", Attr: "image"}} },
			`[[project]] #1 key "attr"`, `".#image"`},
		{"args with flake", func(c *Config) { c.Projects = []Project{{Path: "/a", Flake: ".", Args: []string{"--arg", "a", "1"}}} },
			`[[project]] #1 key "args"`, "file projects only"},
		{"args not triples", func(c *Config) { c.Projects = []Project{{Path: "/a", Args: []string{"--arg", "a"}}} },
			`[[project]] #1 key "args"`, "got 2 strings"},
		{"args flag", func(c *Config) {
			c.Projects = []Project{{Path: "/a", Args: []string{"--arg", "a", "1", "-I", "x", "y"}}}
		},
			`[[project]] #1 key "args"`, `element 4 is "-I"`},
		{"args name", func(c *Config) { c.Projects = []Project{{Path: "/a", Args: []string{"--argstr", "a b", "1"}}} },
			`[[project]] #1 key "args"`, "not a Nix argument name"},
		{"args not UTF-8", func(c *Config) { c.Projects = []Project{{Path: "/a", Args: []string{"--argstr", "a", "\xff"}}} },
			`[[project]] #1 key "args"`, "element 3"},
		{"output with slash", func(c *Config) { c.Projects = []Project{{Path: "/a", Output: "out/img.tar"}} },
			`[[project]] #1 key "output"`, "plain file name"},
		{"output dot", func(c *Config) { c.Projects = []Project{{Path: "/a", Output: "."}} }, `[[project]] #1 key "output"`, "plain file name"},
		{"output dotdot", func(c *Config) { c.Projects = []Project{{Path: "/a", Output: ".."}} }, `[[project]] #1 key "output"`, "plain file name"},
		{"output result", func(c *Config) { c.Projects = []Project{{Path: "/a", Output: "result"}} }, `[[project]] #1 key "output"`, "out-links"},
		{"output result-", func(c *Config) { c.Projects = []Project{{Path: "/a", Output: "result-2"}} }, `[[project]] #1 key "output"`, "out-links"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.change(c)
			err := c.Validate()
			var errs Errors
			if !errors.As(err, &errs) || len(errs) != 1 {
				t.Fatalf("Validate() = %v, want one problem", err)
			}
			e := errs[0]
			if e.Key != tt.key || !strings.Contains(e.Msg, tt.msg) || e.Line != 0 || e.File != "" {
				t.Errorf("Validate() = %q (key %q); want key %q, no position, message containing %q", e, e.Key, tt.key, tt.msg)
			}
		})
	}
}

func TestValidateAccepts(t *testing.T) {
	c := Default()
	c.VM.Name = "a"
	c.VM.Memory = 512 * MiB
	c.VM.Disk = GiB
	c.VM.Swap = 0
	c.Scheduler.MaxWait = c.Scheduler.Quiet
	c.Projects = []Project{
		{Path: "/a", File: "nix/default.nix", Attr: "image", Args: []string{"--arg", "debug", "true", "--argstr", "tag_2", "v1"}, Output: "result.tar.gz"},
		{Path: "/b", Flake: ".#image", Output: "results.tar"},
		{Path: "/dir with spaces/ünï", Output: ".hidden"},
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate() = %v, want nil", err)
	}
}

// TestParseLocatesRuleBreaks checks that a broken rule is reported on the
// line of the key the file sets, or of its table when the key is absent.
func TestParseLocatesRuleBreaks(t *testing.T) {
	tests := []struct {
		name string
		text string
		want wantErr
	}{
		{"max_wait set", "[scheduler]\nquiet = \"2s\"\nmax_wait = \"1s\"\n",
			wantErr{3, 12, "scheduler.max_wait", "shorter than quiet"}},
		{"only quiet set", "[scheduler]\n# longer than the 5s default max_wait\nquiet = \"10s\"\n",
			wantErr{3, 9, "scheduler.quiet", "max_wait (5s) is shorter than quiet (10s)"}},
		{"only disk set", "[vm]\ndisk = \"2G\"\n",
			wantErr{2, 8, "vm.disk", "4G of swap does not fit"}},
		{"path missing", "[[project]]\npath = \"/a\"\n\n[[project]]\nfile = \"x.nix\"\n",
			wantErr{4, 3, `[[project]] #2 key "path"`, "is missing"}},
		{"relative path", "[[project]]\npath = \"rel\"\n",
			wantErr{2, 8, `[[project]] #1 key "path"`, "relative"}},
		{"duplicate", "[[project]]\npath = \"/a\"\n\n[[project]]\npath = \"/a/\"\n",
			wantErr{5, 8, `[[project]] #2 key "path"`, "already registered by [[project]] #1"}},
		{"file and flake", "[[project]]\npath = \"/a\"\nfile = \"x.nix\"\nflake = \".#i\"\n",
			wantErr{4, 9, `[[project]] #1 key "flake"`, "not both"}},
		{"output", "[[project]]\npath = \"/a\"\noutput = \"result\"\n",
			wantErr{3, 10, `[[project]] #1 key "output"`, "out-links"}},
		{"inline project", "project = [{ path = \"/a\" }, { path = \"b\" }]\n",
			wantErr{1, 38, `[[project]] #2 key "path"`, "relative"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErrs(t, parseErr(t, tt.text), tt.want)
		})
	}
}

func TestProjectValidate(t *testing.T) {
	if err := NewProject("/a").Validate(); err != nil {
		t.Errorf("NewProject(/a).Validate() = %v", err)
	}
	err := Project{Path: "/a", Output: "result"}.Validate()
	if err == nil || err.Error() != `project "/a" output: "result" is a name Nix uses for its out-links: choose another, such as "result.tar.gz"` {
		t.Errorf("Validate() = %v", err)
	}
}

func TestEmptyOutputIsAnError(t *testing.T) {
	_, err := Parse(strings.NewReader("[[project]]\npath = \"/p\"\noutput = \"\"\n"), "c.toml")
	if err == nil || !strings.Contains(err.Error(), `c.toml:3:10: [[project]] #1 key "output": is empty`) {
		t.Fatalf("got %v, want an error naming output on line 3", err)
	}
	if _, err := Parse(strings.NewReader("[[project]]\npath = \"/p\"\n"), "c.toml"); err != nil {
		t.Fatalf("no output key: %v", err)
	}
}
