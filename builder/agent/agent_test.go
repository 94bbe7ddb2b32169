package agent

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"howett.net/plist"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var hostile = Spec{
	Executable: "/Applications/nix & pass <\"ünï\">.app/Contents/MacOS/nixpass",
	Args:       []string{"--config", "/Users/ana/my $HOME/100% it's \"x\"\\y.toml", "app"},
	LogDir:     "/Users/ana/Library/Logs/nixpass",
	PATH:       "/usr/bin:/bin:/usr/local/bin:/opt/homebrew/bin:/Users/ana/my $HOME/.docker/bin",
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./builder/agent -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n%s", name, got)
	}
}

func TestLaunchdPlist(t *testing.T) {
	b, err := RenderLaunchd(hostile)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "agent.plist.golden", b)
	var p struct {
		Label                  string
		ProgramArguments       []string
		RunAtLoad              bool
		KeepAlive              map[string]bool
		ProcessType            string
		LimitLoadToSessionType string
		StandardOutPath        string
		StandardErrorPath      string
		EnvironmentVariables   map[string]string
		AssociatedBundleIDs    []string `plist:"AssociatedBundleIdentifiers"`
	}
	if _, err := plist.Unmarshal(b, &p); err != nil {
		t.Fatalf("not a valid plist: %v", err)
	}
	wantArgs := append([]string{hostile.Executable}, hostile.Args...)
	if p.Label != Label || !reflect.DeepEqual(p.ProgramArguments, wantArgs) || !p.RunAtLoad ||
		p.KeepAlive["SuccessfulExit"] != false || len(p.KeepAlive) != 1 || p.ProcessType != "Interactive" ||
		p.LimitLoadToSessionType != "Aqua" || p.StandardOutPath != "/Users/ana/Library/Logs/nixpass/agent.log" || p.StandardErrorPath != p.StandardOutPath {
		t.Errorf("plist = %+v", p)
	}
	if got := p.EnvironmentVariables["PATH"]; got != hostile.PATH || p.EnvironmentVariables["NIXPASS_AGENT"] != "1" || len(p.EnvironmentVariables) != 2 {
		t.Errorf("EnvironmentVariables = %v, want PATH=%q (launchd's own PATH has no multipass) and NIXPASS_AGENT=1", p.EnvironmentVariables, hostile.PATH)
	}
	if !reflect.DeepEqual(p.AssociatedBundleIDs, []string{BundleID}) {
		t.Errorf("AssociatedBundleIdentifiers = %q, want [%s]: Login Items would show the bare executable", p.AssociatedBundleIDs, BundleID)
	}
}

// unquoteSystemd splits an ExecStart line the way systemd does, for the
// escapes systemdQuote produces.
func unquoteSystemd(t *testing.T, line string) []string {
	var args []string
	for line = strings.TrimSpace(line); line != ""; line = strings.TrimSpace(line) {
		if line[0] != '"' {
			t.Fatalf("unquoted argument in %q", line)
		}
		var b strings.Builder
		i := 1
		for ; i < len(line) && line[i] != '"'; i++ {
			c := line[i]
			switch {
			case c == '\\':
				i++
				switch line[i] {
				case 'n':
					b.WriteByte('\n')
				case 't':
					b.WriteByte('\t')
				default:
					b.WriteByte(line[i])
				}
			case (c == '%' || c == '$') && i+1 < len(line) && line[i+1] == c:
				b.WriteByte(c)
				i++
			case c == '%' || c == '$':
				t.Fatalf("unescaped %c in %q", c, line)
			default:
				b.WriteByte(c)
			}
		}
		args = append(args, b.String())
		line = line[i+1:]
	}
	return args
}

func TestSystemdUnit(t *testing.T) {
	b, err := RenderSystemd(hostile)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "nixpass.service.golden", b)
	var exec string
	var env []string
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "ExecStart="); ok {
			exec = v
		}
		if v, ok := strings.CutPrefix(l, "Environment="); ok {
			env = append(env, unquoteSystemd(t, v)...)
		}
	}
	if want := []string{"NIXPASS_AGENT=1", "PATH=" + hostile.PATH}; !reflect.DeepEqual(env, want) {
		t.Errorf("Environment = %q, want %q: the app must know it runs as the agent, and find multipass", env, want)
	}
	want := append([]string{hostile.Executable}, hostile.Args...)
	if got := unquoteSystemd(t, exec); !reflect.DeepEqual(got, want) {
		t.Errorf("ExecStart argv = %q, want %q", got, want)
	}
	for _, line := range []string{"WantedBy=default.target", "Restart=on-failure"} {
		if !strings.Contains(string(b), line+"\n") {
			t.Errorf("unit lacks %s", line)
		}
	}
}

func TestTemplateMarkersRejected(t *testing.T) {
	if _, err := RenderSystemd(Spec{Executable: "/x/{{Path}}/nixpass"}); err == nil {
		t.Error("a path with {{ was accepted")
	}
}

func TestStatusAndInstallHere(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	m, err := New(Spec{Executable: "/usr/bin/nixpass", Args: []string{"app"}, LogDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	st, err := m.Status()
	if err != nil || st.Installed || !strings.HasPrefix(st.Path, os.Getenv("HOME")) {
		t.Fatalf("status before install: %+v %v", st, err)
	}
	if supported() != nil {
		// This machine has no systemd (a container): installing must say
		// so rather than fall back to a system init script.
		err := m.Install()
		if err == nil || !strings.Contains(err.Error(), "no systemd") {
			t.Fatalf("install without systemd: %v", err)
		}
		if _, err := os.Stat("/etc/init.d/nixpass"); err == nil {
			t.Fatal("a system init script was written")
		}
	}
}
