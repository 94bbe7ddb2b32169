package config

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	toml "github.com/pelletier/go-toml/v2"
)

func TestRenderDefaults(t *testing.T) {
	b, err := Render(Default())
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(bytes.NewReader(b), "rendered.toml")
	if err != nil {
		t.Fatalf("Parse(Render(Default())): %v\n%s", err, b)
	}
	if !reflect.DeepEqual(c, Default()) {
		t.Errorf("Render(Default()) reads back as %+v", c)
	}
	// Defaults stay commented out so the file keeps following the host.
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, " = ") && !strings.HasPrefix(line, "# ") {
			t.Errorf("default written as a setting: %q", line)
		}
	}
	if !strings.HasPrefix(string(b), "# nixpass configuration") {
		t.Errorf("rendered file has no header comment:\n%s", b)
	}
}

func TestRenderRoundTrip(t *testing.T) {
	def := Default()
	other := map[string]string{BackendLocal: BackendMultipass, BackendMultipass: BackendLocal}
	c := &Config{
		Builder: Builder{Backend: other[def.Builder.Backend], Multipass: "/opt/multipass \"x\"", Timeout: Duration(90 * time.Minute)},
		VM: VM{Name: "nix-2", CPUs: def.VM.CPUs + 1, Memory: def.VM.Memory + 512*MiB, Disk: 100 * GiB, Image: "22.04",
			Swap: 0, IdleStop: Duration(30 * time.Minute), AutoCreate: false},
		Scheduler: Scheduler{Quiet: Duration(time.Second), MaxWait: Duration(time.Minute), Restart: true, OnQuit: OnQuitFinish},
		Notify:    Notify{Success: false},
		Docker:    Docker{Command: "~/bin/my docker", LoadTimeout: Duration(30 * time.Second)},
		Projects: []Project{
			{Path: hostilePath, File: "a \"b\".nix", Attr: "x.y", Args: []string{"--argstr", "tag", "v1 \\ \"2\"\n$(id)", "--arg", "n", "{ a = 1; }"},
				Output: "img\t1.tar", Watch: boolPtr(false), DockerLoad: true},
			{Path: "/b", Flake: "github:o/r?dir=x#image", Watch: boolPtr(true)},
			{Path: "/c"},
		},
	}
	b, err := Render(c)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(bytes.NewReader(b), "rendered.toml")
	if err != nil {
		t.Fatalf("Parse(Render(c)): %v\n%s", err, b)
	}
	if !reflect.DeepEqual(got, c) {
		t.Errorf("round trip =\n%+v\nwant\n%+v\nfile:\n%s", got, c, b)
	}
	for _, line := range []string{"\ntimeout = \"1h30m\"\n", "\nmemory = \"" + c.VM.Memory.String() + "\"\n", "\nswap = \"0\"\n", "\nimage = \"22.04\"\n"} {
		if !strings.Contains(string(b), line) {
			t.Errorf("rendered file lacks %q:\n%s", line, b)
		}
	}
	if !strings.HasSuffix(string(b), "[[project]]\npath = \"/c\"\n") {
		t.Errorf("a project that sets only its path should render as just that:\n%s", b)
	}
}

// TestRenderCoversEveryKey keeps the rendered reference in step with the
// Config struct.
func TestRenderCoversEveryKey(t *testing.T) {
	rendered := map[string][]string{}
	for _, tb := range reference {
		for _, k := range tb.keys {
			rendered[tb.table] = append(rendered[tb.table], k.key)
		}
	}
	for i := range configType.NumField() {
		f := configType.Field(i)
		if isListOfTables(f.Type) {
			continue
		}
		if got, want := rendered[tomlName(f)], fieldNames(f.Type); !reflect.DeepEqual(got, want) {
			t.Errorf("Render writes [%s] keys %v, want %v", tomlName(f), got, want)
		}
	}
	for _, k := range fieldNames(reflect.TypeFor[Project]()) {
		if !strings.Contains(projectsHelp, k) {
			t.Errorf("the [[project]] help does not describe %q", k)
		}
	}
}

func TestRenderRejectsInvalid(t *testing.T) {
	c := Default()
	c.Projects = []Project{{Path: "relative"}}
	if _, err := Render(c); err == nil || !strings.Contains(err.Error(), "relative") {
		t.Errorf("Render(invalid) = %v, want the validation error", err)
	}
}

// hostilePath has everything a path can hold that TOML or a shell would
// trip on.
const hostilePath = "/tmp/it's \"q\" $(rm -rf ~) `x` \\ back\\\\ \nnew\ttab\r\x01\x7f ünï 日本 🐳 #no-comment [[project]]"

func TestQuote(t *testing.T) {
	for _, s := range []string{"", "plain", hostilePath, `C:\dir`, "\"\"\"", "'''", "\u2028", "\x1b[31m"} {
		var got struct{ S string }
		if err := toml.Unmarshal([]byte("S = "+quote(s)+"\n"), &got); err != nil || got.S != s {
			t.Errorf("quote(%q) = %s reads back as %q, %v", s, quote(s), got.S, err)
		}
	}
}
