package diagnose

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"nixpass/builder"
)

// stubs are the commands hints may show; each stub only logs its argv.
var stubs = []string{"multipass", "nixpass", "sudo", "git", "curl", "nix", "nix-instantiate", "nix-collect-garbage", "nix-channel"}

// TestHintCommandsRun runs every command every rule's hint shows with
// sh -c, on hostile names (spaces, quotes, $(…), backticks, a newline,
// unicode), against stubs first on PATH: each step must reach its stub
// with exactly the argv the hint meant, and nothing else may run.
func TestHintCommandsRun(t *testing.T) {
	root := t.TempDir()
	bin := filepath.Join(root, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	logf := filepath.Join(root, "log")
	for _, s := range stubs {
		body := "#!/bin/sh\n{ printf '%s\\0' \"${0##*/}\" \"$@\"; printf '\\036'; } >>\"$STUB_LOG\"\n"
		if err := os.WriteFile(filepath.Join(bin, s), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	evil := "a b'c\"d $(touch " + root + "/PWNED) `touch " + root + "/PWNED2` e\nf ü"
	dir := filepath.Join(root, evil)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	project := builder.Project{Dir: dir, File: "default.nix", Attr: evil, Args: []string{"--argstr", "tag", evil}}
	evs := []Evidence{
		{HostOS: "darwin", User: evil, Machine: Machine{VM: evil, Memory: 4 << 30, CPUs: 4, Disk: 40 << 30}, Project: project},
		{HostOS: "linux", User: evil, Machine: Machine{Memory: 8 << 30, CPUs: 2}, Project: project},
		{HostOS: "linux", User: evil, Project: builder.Project{Dir: dir, Flake: ".#" + evil}},
	}
	files, _ := filepath.Glob("testdata/*/*.txt")
	old, _ := filepath.Glob("../testdata/nix/*.txt")
	seen := map[string]bool{}
	ran := 0
	for _, f := range append(files, old...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			for _, sig := range []int{0, 9} {
				ev.Signal = sig
				d := Diagnose(string(b), ev)
				for i, c := range d.Commands {
					key := d.Rule + "\x00" + c
					if seen[key] {
						continue
					}
					seen[key] = true
					os.Remove(logf)
					cmd := exec.Command("/bin/sh", "-c", c)
					cmd.Env = []string{"PATH=" + bin, "STUB_LOG=" + logf, "HOME=" + root}
					if out, err := cmd.CombinedOutput(); err != nil {
						t.Errorf("%s: %s: %v\n%s", d.Rule, c, err, out)
						continue
					}
					var want [][]string
					for _, argv := range d.argvs[i] {
						if argv[0] != "cd" {
							want = append(want, argv)
						}
					}
					if got := readStubLog(t, logf); !slices.EqualFunc(got, want, slices.Equal) {
						t.Errorf("%s: %s\nran  %q\nwant %q", d.Rule, c, got, want)
					}
					ran++
				}
			}
		}
	}
	for _, p := range []string{"PWNED", "PWNED2"} {
		if _, err := os.Stat(filepath.Join(root, p)); err == nil {
			t.Errorf("a hint command ran a substitution (%s exists)", p)
		}
	}
	// Every rule that shows a command was exercised.
	rules := map[string]bool{}
	for k := range seen {
		rules[strings.SplitN(k, "\x00", 2)[0]] = true
	}
	for _, r := range []string{"disk-full", "setup-build-users", "setup-daemon-socket", "setup-store-permission", "platform", "network", "flake-untracked", "no-nix-file", "missing-file", "builder-failed", "eval"} {
		if !rules[r] {
			t.Errorf("no hint command of rule %s was run", r)
		}
	}
	if ran < 15 {
		t.Errorf("only %d commands ran", ran)
	}
}

func readStubLog(t *testing.T, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for _, rec := range strings.Split(strings.TrimSuffix(string(b), "\036"), "\036") {
		out = append(out, strings.Split(strings.TrimSuffix(rec, "\x00"), "\x00"))
	}
	return out
}
