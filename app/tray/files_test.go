package tray

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"nixpass/builder/config"
)

// TestShellCommandFile: the .command file runs exactly
// `multipass shell NAME` for hostile names and paths, is mode 0700 and
// is replaced, not appended to.
func TestShellCommandFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state dir")
	bin := filepath.Join(t.TempDir(), "my $(bin) 'x'")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	// A fake multipass that prints its argv, one per line.
	fake := filepath.Join(bin, "multipass")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\nfor a; do printf '%s\\n' \"$a\"; done\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, vm := range []string{"nixpass", "vm; rm -rf ~ $(x) `y` 'q' \"ü\"\nz", "../../etc"} {
		path, err := writeShellCommand(dir, fake, vm)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Dir(path) != dir || !strings.HasSuffix(path, ".command") {
			t.Errorf("path %q: want a .command file in %q", path, dir)
		}
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o700 {
			t.Errorf("mode %v, want 0700", st.Mode().Perm())
		}
		text, _ := os.ReadFile(path)
		if !bytes.HasPrefix(text, []byte("#!/bin/sh\n")) {
			t.Errorf("no #!/bin/sh line:\n%s", text)
		}
		// Run it as Terminal would.
		out, err := exec.Command(path).Output()
		if err != nil {
			t.Fatalf("%s: %v\n%s", path, err, text)
		}
		if got, want := string(out), "shell\n"+vm+"\n"; got != want {
			t.Errorf("vm %q: the file ran multipass with %q, want %q\n%s", vm, got, want, text)
		}
	}
}

func TestEnsureConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fresh", "config.toml")
	if err := ensureConfig(path); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("no config written: %v", err)
	}
	defer f.Close()
	c, err := config.Parse(f, path)
	if err != nil {
		t.Fatalf("the starter config does not parse: %v", err)
	}
	if len(c.Projects) != 0 || c.VM.Name != config.Default().VM.Name {
		t.Errorf("the starter config is not the defaults: %+v", c)
	}
	mine := []byte("[vm]\ncpus = 2\n")
	if err := os.WriteFile(path, mine, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := ensureConfig(path); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, mine) {
		t.Errorf("an existing config was changed:\n%s", got)
	}
}

func TestWriteReport(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	path, err := writeReport(dir, reportName("/src/api"), "api: Nix evaluation error", "undefined variable 'oops'\n\nWhat to do: fix the expression")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if filepath.Dir(path) != dir || !strings.HasPrefix(string(b), "api: Nix evaluation error\n\nundefined variable 'oops'") || !strings.Contains(string(b), "What to do") {
		t.Errorf("%s:\n%s", path, b)
	}
}
