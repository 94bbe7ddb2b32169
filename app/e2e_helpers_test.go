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

// nixpassBin is the real program users run, built once by TestMain as
// make build lays it out: the lean front (app/fast), with the full
// nixpass (this package) beside it as nixpass-full, to which the front
// hands every command but `version` and a no-op build. Every e2e test
// therefore goes through the front, as users do.
var nixpassBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "nixpass-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// A non-root test user runs it too: the folder must be searchable.
	_ = os.Chmod(dir, 0o755)
	nixpassBin = filepath.Join(dir, "nixpass")
	out, err := exec.Command("go", "build", "-o", filepath.Join(dir, "nixpass-full"), ".").CombinedOutput()
	if err == nil {
		front := exec.Command("go", "build", "-o", nixpassBin, "./fast")
		front.Env = append(os.Environ(), "CGO_ENABLED=0")
		out, err = front.CombinedOutput()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "build nixpass: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// copyNixpass copies the program users run into dir, as make build lays
// it out (the front and nixpass-full beside it), and returns the front's
// path.
func copyNixpass(t *testing.T, dir string) string {
	t.Helper()
	for _, name := range []string{"nixpass", "nixpass-full"} {
		b, err := os.ReadFile(filepath.Join(filepath.Dir(nixpassBin), name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "nixpass")
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

// world is an isolated nixpass setup: its own config and state, in one
// environment (see e2e_env_test.go).
type world struct {
	t      *testing.T
	in     *nixEnv
	root   string
	config string
	state  string
	env    []string
	// procs, when set, is the cgroup.procs file every nixpass run is put
	// into (limitMemory).
	procs string
}

// newWorld is a world on the host, as root (or whoever runs the tests).
func newWorld(t *testing.T) *world {
	t.Helper()
	return newWorldIn(t, hostEnv)
}

func (w *world) writeConfig(text string) {
	w.t.Helper()
	if err := os.MkdirAll(filepath.Dir(w.config), 0o755); err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(w.config, []byte(text), 0o644); err != nil {
		w.t.Fatal(err)
	}
	w.own(filepath.Dir(w.config))
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
	w.own(dir)
	return dir
}

func (w *world) setNix(dir, defaultNix string) {
	w.t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "default.nix"), []byte(defaultNix), 0o644); err != nil {
		w.t.Fatal(err)
	}
	w.own(filepath.Join(dir, "default.nix"))
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

// run runs the real nixpass binary in the world's environment.
func (w *world) run(args ...string) outcome {
	w.t.Helper()
	return w.runCmd(w.command(args...))
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
