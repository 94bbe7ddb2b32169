package cache

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"nixpass/builder/runner"
)

// TestPullSeesLateUpload looks a path up in a cache before it is
// uploaded, uploads it, and looks again: with Pull's settings the second
// look substitutes it; with Nix's default negative cache (the control) it
// stays hidden.
func TestPullSeesLateUpload(t *testing.T) {
	nixes(t)
	dir := t.TempDir()
	k, _ := NewKeyPair("nixpass-pull-1")
	secret, err := WriteKeyPair(filepath.Join(dir, "keys"), k)
	if err != nil {
		t.Fatal(err)
	}
	out, err := nixAt{}.run(t, nil, "nix-build", "--no-out-link", writePayload(t, dir), "--argstr", "salt", salt(t))
	if err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	path := lastLine(out)
	srv := newCacheServer(t, false)
	p := Pull{URL: srv.URL, PublicKey: k.Public}

	realise := func(name string, settings []Setting) (string, error) {
		args := []string{"--store", filepath.Join(dir, name), "--realise", path, "--option", "substituters", ""}
		for _, s := range settings {
			args = append(args, "--option", s.Name, s.Value)
		}
		cmd := exec.Command("nix-store", args...)
		// Nix's negative lookups live in its own cache folder: one per
		// store here, so the two cases do not share them.
		cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+filepath.Join(dir, "xdg-"+name))
		b, err := cmd.CombinedOutput()
		return string(b), err
	}
	control := []Setting{{"extra-substituters", srv.URL}, {"extra-trusted-public-keys", k.Public}}
	for _, c := range []struct {
		name     string
		settings []Setting
	}{{"pull", p.Settings()}, {"control", control}} {
		if out, err := realise(c.name, c.settings); err == nil {
			t.Fatalf("%s: realised %s before it was uploaded:\n%s", c.name, path, out)
		}
	}
	up := Upload{URL: srv.URL, SecretKeyFile: secret, Runner: runner.Exec{}}
	if _, err := up.Run(context.Background(), []string{path}, &Record{}); err != nil {
		t.Fatal(err)
	}
	if out, err := realise("pull", p.Settings()); err != nil || !strings.Contains(out, "from '"+srv.URL) {
		t.Errorf("with Pull's settings the late upload was not substituted: %v\n%s", err, out)
	}
	if out, err := realise("control", control); err == nil {
		t.Errorf("control: Nix's default negative cache did not hide the late upload, so the test proves nothing:\n%s", out)
	}
}
