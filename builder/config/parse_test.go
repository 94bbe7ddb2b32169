package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseFull(t *testing.T) {
	text := `# every key
[builder]
backend = "multipass"
multipass = "/opt/bin/multipass"
timeout = "30m"

[vm]
name = "builder-2"
cpus = 3
memory = "6GiB"
disk = "100G"
image = "22.04"
swap = 0
idle_stop = "1h"
auto_create = false

[scheduler]
quiet = "1s"
max_wait = "10s"
restart = true
on_quit = "finish"

[notify]
success = false

[docker]
command = "/opt/docker bin/docker"
load_timeout = "90s"

[[project]]
path = "/src/api"
file = "nix/image.nix"
attr = "image"
args = ["--argstr", "tag", "v1", "--arg", "debug", "true"]
output = "api.tar.gz"
watch = false
docker_load = true

[[project]]
path = '/src/web'
flake = ".#image"
`
	got, err := Parse(strings.NewReader(text), "config.toml")
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		Builder: Builder{Backend: "multipass", Multipass: "/opt/bin/multipass", Timeout: Duration(30 * time.Minute)},
		VM: VM{Name: "builder-2", CPUs: 3, Memory: 6 * GiB, Disk: 100 * GiB, Image: "22.04", Swap: 0,
			IdleStop: Duration(time.Hour), AutoCreate: false},
		Scheduler: Scheduler{Quiet: Duration(time.Second), MaxWait: Duration(10 * time.Second), Restart: true, OnQuit: "finish"},
		Notify:    Notify{Success: false},
		Docker:    Docker{Command: "/opt/docker bin/docker", LoadTimeout: Duration(90 * time.Second)},
		Projects: []Project{
			{Path: "/src/api", File: "nix/image.nix", Attr: "image", Args: []string{"--argstr", "tag", "v1", "--arg", "debug", "true"},
				Output: "api.tar.gz", Watch: boolPtr(false), DockerLoad: true},
			{Path: "/src/web", Flake: ".#image"},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Parse =\n%+v\nwant\n%+v", got, want)
	}
}

func TestParseFillsDefaults(t *testing.T) {
	for _, text := range []string{"", "\n\n", "# only a comment\n", "[vm]\n[notify]\n"} {
		got, err := Parse(strings.NewReader(text), "config.toml")
		if err != nil {
			t.Errorf("Parse(%q): %v", text, err)
			continue
		}
		if !reflect.DeepEqual(got, Default()) {
			t.Errorf("Parse(%q) = %+v, want the defaults", text, got)
		}
	}
	got, err := Parse(strings.NewReader("[vm]\ncpus = 7\n"), "config.toml")
	if err != nil || got.VM.CPUs != 7 || got.VM.Name != "nixpass" || got.VM.Disk != 40*GiB {
		t.Errorf("Parse(cpus = 7) = %+v, %v; want cpus 7 and the other defaults", got, err)
	}
}

// TestParseAcceptsOtherSpellings covers TOML forms that mean the same
// thing as the usual ones.
func TestParseAcceptsOtherSpellings(t *testing.T) {
	tests := []struct {
		name, text string
		check      func(*Config) bool
	}{
		{"dotted keys", "vm.cpus = 5\nscheduler.restart = true\n",
			func(c *Config) bool { return c.VM.CPUs == 5 && c.Scheduler.Restart }},
		{"inline table", "vm = { cpus = 5, memory = \"3G\" }\n",
			func(c *Config) bool { return c.VM.CPUs == 5 && c.VM.Memory == 3*GiB }},
		{"inline projects", "project = [{ path = \"/a\" }, { path = \"/b\", watch = false }]\n",
			func(c *Config) bool { return len(c.Projects) == 2 && !c.Projects[1].Watching() }},
		{"size in bytes", "[vm]\nmemory = 4294967296\n",
			func(c *Config) bool { return c.VM.Memory == 4*GiB }},
		{"durations off as 0", "[vm]\nidle_stop = 0\n",
			func(c *Config) bool { return c.VM.IdleStop == 0 }},
		{"hex cpus", "[vm]\ncpus = 0x4\n",
			func(c *Config) bool { return c.VM.CPUs == 4 }},
		{"quoted keys", "[\"vm\"]\n\"cpus\" = 6\n",
			func(c *Config) bool { return c.VM.CPUs == 6 }},
		{"CRLF", "[vm]\r\ncpus = 6\r\n",
			func(c *Config) bool { return c.VM.CPUs == 6 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(strings.NewReader(tt.text), "config.toml")
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Errorf("Parse(%q) = %+v", tt.text, c)
			}
		})
	}
}

// parseErr parses text and returns its problems, failing the test when
// there are none.
func parseErr(t *testing.T, text string) Errors {
	t.Helper()
	c, err := Parse(strings.NewReader(text), "config.toml")
	if err == nil {
		t.Fatalf("Parse(%q) = %+v, want an error", text, c)
	}
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Parse error is %T, want Errors: %v", err, err)
	}
	return errs
}

type wantErr struct {
	line, col int
	key       string
	msg       string // a part of the message
}

func checkErrs(t *testing.T, got Errors, want ...wantErr) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.File != "config.toml" || g.Line != w.line || g.Col != w.col || g.Key != w.key || !strings.Contains(g.Msg, w.msg) {
			t.Errorf("problem %d = %s (line %d col %d key %q)\nwant line %d col %d key %q msg containing %q",
				i+1, g, g.Line, g.Col, g.Key, w.line, w.col, w.key, w.msg)
		}
	}
}

func TestParseUnknownKeys(t *testing.T) {
	tests := []struct {
		name string
		text string
		want wantErr
	}{
		{"top level", "# c\nbackend = \"local\"\n",
			wantErr{2, 1, `key "backend"`, `unknown key; "backend" belongs in [builder]`}},
		{"top level, nowhere", "colour = 1\n",
			wantErr{1, 1, `key "colour"`, "unknown key; keys go in one of the tables [builder], [vm], [scheduler], [notify], [docker], [registry], [cache] and [[project]]"}},
		{"builder", "[builder]\nbackend = \"local\"\ntimeuot = \"1h\"\n",
			wantErr{3, 1, "builder.timeuot", `unknown key; did you mean "timeout"?`}},
		{"vm", "[vm]\nname = \"x\"\n\nmemroy = \"8G\"\n",
			wantErr{4, 1, "vm.memroy", `did you mean "memory"?`}},
		{"vm, far off", "[vm]\n  ram = \"8G\"\n",
			wantErr{2, 3, "vm.ram", "[vm] takes name, cpus, memory, disk, image, swap, idle_stop, auto_create"}},
		{"scheduler", "[scheduler]\nmaxwait = \"9s\"\n",
			wantErr{2, 1, "scheduler.maxwait", `did you mean "max_wait"?`}},
		{"notify", "[notify]\nfailure = true\n",
			wantErr{2, 1, "notify.failure", "unknown key"}},
		{"project", "[[project]]\npath = \"/a\"\n\n[[project]]\npath = \"/b\"\noutptu = \"x\"\n",
			wantErr{6, 1, `[[project]] #2 key "outptu"`, `unknown key; did you mean "output"?`}},
		{"project, key of another table", "[[project]]\npath = \"/a\"\ncpus = 2\n",
			wantErr{3, 1, `[[project]] #1 key "cpus"`, `"cpus" belongs in [vm]`}},
		{"dotted", "vm.memroy = \"1G\"\n",
			wantErr{1, 4, "vm.memroy", `did you mean "memory"?`}},
		{"dotted past a value", "[vm]\nmemory.size = \"1G\"\n",
			wantErr{2, 1, "vm.memory.size", "unknown key"}},
		{"inline table", "notify = { success = true, sucess = false }\n",
			wantErr{1, 28, "notify.sucess", `did you mean "success"?`}},
		{"inline project", "project = [{ path = \"/a\", otput = \"x\" }]\n",
			wantErr{1, 27, `[[project]] #1 key "otput"`, `did you mean "output"?`}},
		{"table", "[vms]\ncpus = 1\n",
			wantErr{1, 2, "[vms]", "unknown table; did you mean [vm]?"}},
		{"table far off", "[podman]\n",
			wantErr{1, 2, "[podman]", "unknown table; the tables are [builder], [vm], [scheduler], [notify], [docker], [registry], [cache] and [[project]]"}},
		{"array table", "[[projects]]\npath = \"/a\"\n",
			wantErr{1, 3, "[[projects]]", "did you mean [[project]]?"}},
		{"sub-table", "[vm.disk]\n",
			wantErr{1, 2, "[vm.disk]", "write disk = ... under [vm] instead"}},
		{"sub-table of nothing", "[vm.extra]\n",
			wantErr{1, 2, "[vm.extra]", "[vm] has no tables inside it"}},
		{"project as a table", "[project]\npath = \"/a\"\n",
			wantErr{1, 2, "[project]", "write [[project]] with double brackets"}},
		{"vm as a list", "[[vm]]\ncpus = 2\n",
			wantErr{1, 3, "[[vm]]", "write [vm] with single brackets"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErrs(t, parseErr(t, tt.text), tt.want)
		})
	}
}

func TestParseBadValues(t *testing.T) {
	tests := []struct {
		name string
		text string
		want wantErr
	}{
		{"size", "[vm]\nmemory = \"8X\"\n",
			wantErr{2, 10, "vm.memory", `invalid size "8X": use bytes or a number with K, M or G (e.g. "8G")`}},
		{"negative size", "[vm]\nswap = -1\n",
			wantErr{2, 8, "vm.swap", "invalid size -1"}},
		{"size as float", "[vm]\ndisk = 1.5\n",
			wantErr{2, 8, "vm.disk", `want a size such as "8G", got the number 1.5`}},
		{"duration", "[builder]\ntimeout = \"2 hours\"\n",
			wantErr{2, 11, "builder.timeout", `invalid duration "2 hours"`}},
		{"duration without unit", "[scheduler]\nquiet = 500\n",
			wantErr{2, 9, "scheduler.quiet", `a duration needs a unit: write it as a string such as "500s" or "500m"`}},
		{"duration as bool", "[vm]\nidle_stop = false\n",
			wantErr{2, 13, "vm.idle_stop", `want a duration such as "30m", got false`}},
		{"int as string", "[vm]\ncpus = \"four\"\n",
			wantErr{2, 8, "vm.cpus", `want a whole number, got the string "four"`}},
		{"int as float", "[vm]\ncpus = 4.0\n",
			wantErr{2, 8, "vm.cpus", "want a whole number, got the number 4.0"}},
		{"string as number", "[vm]\nimage = 24.04\n",
			wantErr{2, 9, "vm.image", "want a string in quotes, got the number 24.04"}},
		{"bool as string", "[notify]\nsuccess = \"yes\"\n",
			wantErr{2, 11, "notify.success", `want true or false, got the string "yes"`}},
		{"watch as string", "[[project]]\npath = \"/a\"\nwatch = \"no\"\n",
			wantErr{3, 9, `[[project]] #1 key "watch"`, "want true or false"}},
		{"args as string", "[[project]]\npath = \"/a\"\nargs = \"--arg x 1\"\n",
			wantErr{3, 8, `[[project]] #1 key "args"`, "want a list of strings"}},
		{"args element", "[[project]]\npath = \"/a\"\nargs = [\"--arg\", \"x\", 1]\n",
			wantErr{3, 1, `[[project]] #1 key "args"`, "element 3: want a string in quotes, got the number 1"}},
		{"table as value", "vm = 3\n",
			wantErr{1, 1, "[vm]", "want a table, got the number 3"}},
		{"date", "[vm]\nimage = 2024-04-25\n",
			wantErr{2, 9, "vm.image", "got a date or time"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErrs(t, parseErr(t, tt.text), tt.want)
		})
	}
}

func TestParseSyntaxErrors(t *testing.T) {
	tests := []struct {
		name      string
		text      string
		line, col int
		msg       string
	}{
		{"unclosed header", "[vm]\ncpus = 2\n[notify\n", 3, 8, "expected ']'"},
		{"missing value", "[vm]\ncpus =\n", 2, 7, ""},
		{"duplicate key", "[vm]\ncpus = 2\ncpus = 3\n", 3, 1, "already defined"},
		{"duplicate table", "[vm]\n[notify]\n[vm]\n", 3, 2, "already exists"},
		{"integer too large", "[vm]\ncpus = 99999999999999999999\n", 2, 8, "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := parseErr(t, tt.text)
			if len(errs) != 1 || errs[0].Line != tt.line || errs[0].Col != tt.col || !strings.Contains(errs[0].Msg, tt.msg) {
				t.Errorf("got %v (line %d col %d); want one problem at %d:%d containing %q", errs, errs[0].Line, errs[0].Col, tt.line, tt.col, tt.msg)
			}
			if !strings.HasPrefix(errs.Error(), "config.toml:") {
				t.Errorf("error %q does not start with the file name", errs)
			}
		})
	}
}

// TestParseReportsEveryProblem checks that one mistake does not hide the
// next: all are reported, in file order.
func TestParseReportsEveryProblem(t *testing.T) {
	text := "[vm]\nmemroy = \"8G\"\ncpus = \"two\"\ndisk = \"lots\"\n[[project]]\npath = \"/a\"\ndocker = true\n"
	checkErrs(t, parseErr(t, text),
		wantErr{2, 1, "vm.memroy", "unknown key"},
		wantErr{3, 8, "vm.cpus", "want a whole number"},
		wantErr{4, 8, "vm.disk", "invalid size"},
		wantErr{7, 1, `[[project]] #1 key "docker"`, "unknown key"},
	)
	text = "[builder]\nbackend = \"docker\"\n[vm]\ncpus = 0\n[[project]]\npath = \"rel\"\n"
	checkErrs(t, parseErr(t, text),
		wantErr{2, 11, "builder.backend", `not "docker"`},
		wantErr{4, 8, "vm.cpus", "at least 1"},
		wantErr{6, 8, `[[project]] #1 key "path"`, "relative"},
	)
}

func TestParseErrorText(t *testing.T) {
	tests := []struct {
		text string
		want string
	}{
		{"[vm]\ncpus = 2\n\n\n\n\nmemory = \"8X\"\n",
			`config.toml:7:10: vm.memory: invalid size "8X": use bytes or a number with K, M or G (e.g. "8G")`},
		{"[[project]]\npath = \"/a\"\n[[project]]\npath = \"/b\"\noutptu = \"x\"\n",
			`config.toml:5:1: [[project]] #2 key "outptu": unknown key; did you mean "output"?`},
	}
	for _, tt := range tests {
		_, err := Parse(strings.NewReader(tt.text), "config.toml")
		if err == nil || err.Error() != tt.want {
			t.Errorf("Parse error = %v\nwant %s", err, tt.want)
		}
		var pe *ParseError
		if !errors.As(err, &pe) || pe.File != "config.toml" {
			t.Errorf("errors.As(%v, *ParseError) = %+v", err, pe)
		}
	}
}

func TestParseErrorFormat(t *testing.T) {
	tests := []struct {
		e    ParseError
		want string
	}{
		{ParseError{File: "c.toml", Line: 3, Col: 4, Key: "vm.cpus", Msg: "bad"}, "c.toml:3:4: vm.cpus: bad"},
		{ParseError{File: "c.toml", Line: 3, Key: "vm.cpus", Msg: "bad"}, "c.toml:3: vm.cpus: bad"},
		{ParseError{File: "c.toml", Msg: "bad"}, "c.toml: bad"},
		{ParseError{Key: "vm.cpus", Msg: "bad"}, "vm.cpus: bad"},
		{ParseError{Line: 2, Msg: "bad"}, "line:2: bad"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
	es := Errors{&tests[0].e, &tests[1].e}
	if got := es.Error(); got != "c.toml:3:4: vm.cpus: bad\nc.toml:3: vm.cpus: bad" {
		t.Errorf("Errors.Error() = %q", got)
	}
}
