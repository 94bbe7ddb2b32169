package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"nixpass/builder"
)

// nixpassBin is the real binary, built once by TestMain.
var nixpassBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "nixpass-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	nixpassBin = filepath.Join(dir, "nixpass")
	out, err := exec.Command("go", "build", "-o", nixpassBin, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build nixpass: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// need fails the test when a tool is missing, naming how to install it;
// NIXPASS_ALLOW_SKIP=1 turns that into a skip (a Mac without Nix). CI
// never sets it.
func need(t *testing.T, tool, install string) {
	t.Helper()
	if _, err := exec.LookPath(tool); err == nil {
		return
	}
	msg := fmt.Sprintf("%s is not installed: %s", tool, install)
	if os.Getenv("NIXPASS_ALLOW_SKIP") == "1" {
		t.Skip(msg)
	}
	t.Fatal(msg)
}

func needNix(t *testing.T) {
	need(t, "nix-build", "apt-get install nix-bin (Debian/Ubuntu), or see https://nixos.org/download")
	if _, err := os.Stat("/usr/bin/busybox"); err != nil {
		if _, err := os.Stat("/bin/busybox"); err != nil {
			need(t, "busybox-static-missing", "apt-get install busybox-static")
		}
	}
}

// world is an isolated nixpass setup: its own config and state.
type world struct {
	t      *testing.T
	root   string
	config string
	state  string
	env    []string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	root := t.TempDir()
	w := &world{t: t, root: root, config: filepath.Join(root, "config", "config.toml"), state: filepath.Join(root, "state")}
	w.env = append(os.Environ(),
		"NIXPASS_CONFIG="+w.config,
		"NIXPASS_STATE_DIR="+w.state,
		// Offline: no binary cache, whatever the machine's nix.conf says.
		"NIX_CONFIG=substituters =\n",
	)
	return w
}

func (w *world) writeConfig(text string) {
	w.t.Helper()
	if err := os.MkdirAll(filepath.Dir(w.config), 0o755); err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(w.config, []byte(text), 0o644); err != nil {
		w.t.Fatal(err)
	}
}

// project makes a project folder holding the offline example's image
// builder and a default.nix with the given body.
func (w *world) project(name, defaultNix string) string {
	w.t.Helper()
	dir := filepath.Join(w.root, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		w.t.Fatal(err)
	}
	for _, f := range []string{"image.nix", "build-image.sh"} {
		b, err := os.ReadFile(filepath.Join("..", "examples", "offline", f))
		if err != nil {
			w.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			w.t.Fatal(err)
		}
	}
	w.setNix(dir, defaultNix)
	return dir
}

func (w *world) setNix(dir, defaultNix string) {
	w.t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "default.nix"), []byte(defaultNix), 0o644); err != nil {
		w.t.Fatal(err)
	}
}

// imageNix is a default.nix building the offline image with a tag and a
// shell snippet run first in the builder.
func imageNix(tag, prepare string) string {
	return fmt.Sprintf("import ./image.nix { tag = %q; prepare = %q; }\n", tag, prepare)
}

type outcome struct {
	code           int
	stdout, stderr string
	res            builder.Result
}

// run runs the real nixpass binary.
func (w *world) run(args ...string) outcome {
	w.t.Helper()
	return w.runCmd(exec.Command(nixpassBin, args...))
}

func (w *world) runCmd(cmd *exec.Cmd) outcome {
	w.t.Helper()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr, cmd.Env = &out, &errb, w.env
	err := cmd.Run()
	o := outcome{stdout: out.String(), stderr: errb.String()}
	var xe *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &xe):
		o.code = xe.ExitCode()
	default:
		w.t.Fatalf("run %v: %v", cmd.Args, err)
	}
	if strings.HasPrefix(strings.TrimSpace(o.stdout), "{") {
		_ = json.Unmarshal(out.Bytes(), &o.res)
	}
	return o
}

func (o outcome) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", o.code, o.stdout, o.stderr)
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// keptImage fails unless dir's image is still good and no temporary
// file was left behind.
func keptImage(t *testing.T, dir string, good []byte, what string) {
	t.Helper()
	if got := readFile(t, filepath.Join(dir, "result.tar.gz")); !bytes.Equal(got, good) {
		t.Errorf("%s changed the last good image", what)
	}
	noTemps(t, dir)
}

// noTemps fails if a build left temporary files in dir.
func noTemps(t *testing.T, dir string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), "nixpass-tmp") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}
