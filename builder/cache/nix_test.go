package cache

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A Nix to test against: this host's (2.8, CI's nix-bin), or a newer one
// in one of CI's Debian roots entered with .ci/in-root.
type nixAt struct {
	name string
	root string // "" for this host's Nix
}

const rootsDir = "/var/lib/nixpass-ci/roots"

// nixes are the Nix versions the tests run against; a missing one fails
// (CI's .ci/setup makes them), naming what to run.
func nixes(t *testing.T) []nixAt {
	t.Helper()
	if _, err := exec.LookPath("nix-build"); err != nil {
		t.Skip("nix-build missing: apt-get install nix-bin (sudo .ci/setup)")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root for private Nix stores and .ci/in-root (CI runs the tests as root)")
	}
	out := []nixAt{{name: "host"}}
	sid := filepath.Join(rootsDir, "sid")
	if _, err := os.Stat(filepath.Join(sid, "usr/bin/nix-build")); err != nil {
		t.Fatalf("no newer Nix at %s: run sudo .ci/setup", sid)
	}
	return append(out, nixAt{name: "sid", root: sid})
}

// command is argv run with this Nix; binds are folders the root sees at
// the same path.
func (n nixAt) command(ctx context.Context, binds []string, argv ...string) *exec.Cmd {
	if n.root == "" {
		return exec.CommandContext(ctx, argv[0], argv[1:]...)
	}
	inRoot, _ := filepath.Abs("../../.ci/in-root")
	args := []string{}
	for _, b := range binds {
		args = append(args, "--bind", b)
	}
	args = append(args, n.root)
	return exec.CommandContext(ctx, inRoot, append(args, argv...)...)
}

// run runs argv and returns its combined output and error.
func (n nixAt) run(t *testing.T, binds []string, argv ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := n.command(ctx, binds, argv...).CombinedOutput()
	return string(out), err
}

// payloadNix builds a small input-addressed path from a static busybox
// (a path added with nix-store --add is content-addressed and would need
// no signature); salt makes it new to every store.
const payloadNix = `{ bb ? (if builtins.pathExists /usr/bin/busybox then "/usr/bin/busybox" else "/bin/busybox"), salt }:
derivation { name = "cache-payload"; system = builtins.currentSystem;
  builder = "${builtins.path { name = "bb"; path = dirOf (/. + bb); filter = p: _: baseNameOf p == baseNameOf bb; }}/busybox";
  args = [ "sh" "-c" "echo ${salt} > $out" ]; }
`

func writePayload(t *testing.T, dir string) string {
	t.Helper()
	f := filepath.Join(dir, "payload.nix")
	if err := os.WriteFile(f, []byte(payloadNix), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

func salt(t *testing.T) string {
	return strings.ReplaceAll(t.Name(), "/", "-") + "-" + time.Now().Format("150405.000000000")
}
