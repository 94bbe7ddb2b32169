package script

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// TestAlsoArguments: the script takes --also SYSTEM LAST SIZE ROOTNAME
// only with every field in the shape it later splits on blanks, and
// stops with the usage status before touching anything otherwise; a
// good group is parsed and the build goes on (to the missing project
// folder here).
func TestAlsoArguments(t *testing.T) {
	dir := t.TempDir()
	sh := filepath.Join(dir, FileName())
	if err := os.WriteFile(sh, Body(), 0o700); err != nil {
		t.Fatal(err)
	}
	good := []string{"aarch64-linux", "/nix/store/abc-offline-v1.tar.gz", "988207", "e6d7a64135262461-aarch64-linux"}
	with := func(i int, v string) []string {
		g := append([]string(nil), good...)
		g[i] = v
		return g
	}
	cases := []struct {
		name string
		also []string
		want int
		says string
	}{
		{"good", good, ExitDirMissing, "error dir-missing"},
		{"two groups", append(append([]string(nil), good...), append([]string{"--also"}, with(0, "riscv64-linux")...)...), ExitDirMissing, "error dir-missing"},
		{"blank in the system", with(0, "aarch64 linux"), ExitUsage, "bad --also system"},
		{"relative store path", with(1, "nix/store/abc"), ExitUsage, "bad --also store path"},
		{"blank in the store path", with(1, "/nix/store/a b"), ExitUsage, "bad --also store path"},
		{"newline in the store path", with(1, "/nix/store/a\nb"), ExitUsage, "bad --also store path"},
		{"size not a number", with(2, "-1"), ExitUsage, "bad --also size"},
		{"root name with a slash", with(3, "../x"), ExitUsage, "bad --also root name"},
		{"root name ..", with(3, ".."), ExitUsage, "bad --also root name"},
		{"too few fields", good[:3], ExitUsage, "--also needs"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{sh, "build", "--token", "t1", "--dir", filepath.Join(dir, "gone"), "--output", "o.tar.gz", "--also"}, tc.also...)
			cmd := exec.Command("sh", args...)
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			err := cmd.Run()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.want || !strings.Contains(out.String()+errb.String(), tc.says) {
				t.Errorf("exit %d, want %d saying %q; stdout %q stderr %q", code, tc.want, tc.says, out.String(), errb.String())
			}
		})
	}
}

// TestAlsoVerdictsWithNix: with real Nix, a run whose own output is up
// to date says, for each --also, up-to-date (same store path, same
// size), changed (a size that no longer matches) or unknown (an output
// Nix would have to build: nothing is built, no root is made), and keeps
// the checked outputs' roots; for a nix-build file and for a flake.
func TestAlsoVerdictsWithNix(t *testing.T) {
	if _, err := exec.LookPath("nix-build"); err != nil {
		t.Fatal("nix-build is not installed: sudo apt-get install nix-bin (or sudo .ci/setup)")
	}
	bb := "/usr/bin/busybox"
	if _, err := os.Stat(bb); err != nil {
		bb = "/bin/busybox"
	}
	busybox, err := os.ReadFile(bb)
	if err != nil {
		t.Fatalf("a static busybox builds the test's output: %v", err)
	}
	for _, flake := range []bool{false, true} {
		t.Run(map[bool]string{false: "file", true: "flake"}[flake], func(t *testing.T) {
			dir := t.TempDir()
			src := filepath.Join(dir, "src")
			os.MkdirAll(src, 0o755)
			os.WriteFile(filepath.Join(src, "busybox"), busybox, 0o755)
			// A name of its own: no output of an earlier run is found.
			os.WriteFile(filepath.Join(src, "default.nix"), []byte(`{ system ? builtins.currentSystem }:
let bb = builtins.path { name = "bb"; path = ./.; filter = p: _: baseNameOf p == "busybox"; }; in
derivation { name = "also-`+strings.ReplaceAll(t.Name(), "/", "-")+`-`+filepath.Base(dir)+`"; inherit system; builder = "${bb}/busybox"; args = [ "sh" "-c" "echo $system > $out" ]; }
`), 0o644)
			os.WriteFile(filepath.Join(src, "flake.nix"), []byte(`{ outputs = { self }: { packages = builtins.listToAttrs (map (s: { name = s; value.default = import ./default.nix { system = s; }; }) [ "x86_64-linux" "aarch64-linux" ]); }; }
`), 0o644)
			t.Setenv("NIX_CONFIG", "substituters =\n")
			own := map[string]string{"amd64": "x86_64-linux", "arm64": "aarch64-linux"}[runtime.GOARCH]
			other := map[string]string{"x86_64-linux": "aarch64-linux", "aarch64-linux": "x86_64-linux"}[own]
			out, err := exec.Command("nix-build", "--no-out-link", filepath.Join(src, "default.nix")).Output()
			if err != nil {
				t.Fatalf("nix-build: %v", err)
			}
			path := strings.TrimSpace(string(out))
			content, _ := os.ReadFile(path)
			os.WriteFile(filepath.Join(dir, "o.tar"), content, 0o644)
			size := strconv.Itoa(len(content))

			sh := filepath.Join(t.TempDir(), FileName())
			os.WriteFile(sh, Body(), 0o700)
			roots := filepath.Join(dir, "roots")
			args := []string{sh, "build", "--token", "t1", "--dir", dir, "--output", "o.tar", "--last", path,
				"--also", own, path, size, "same",
				"--also", own, path, size + "0", "resized",
				"--also", other, "/nix/store/00000000000000000000000000000000-x", "1", "foreign",
				"--root", filepath.Join(roots, "main")}
			if flake {
				args = append(args, "--flake", "path:"+src+"#default")
			} else {
				args = append(args, "--file", "src/default.nix")
			}
			cmd := exec.Command("sh", args...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("script: %v\n%s\n%s", err, stdout.String(), stderr.String())
			}
			for _, want := range []string{
				"@nixpass up-to-date\n",
				"@nixpass system-check " + own + " up-to-date " + path + "\n",
				"@nixpass system-check " + own + " changed " + path + "\n",
				"@nixpass system-check " + other + " unknown -\n",
			} {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
				}
			}
			for name, want := range map[string]string{"same": path, "resized": path, "foreign": ""} {
				got, _ := os.Readlink(filepath.Join(roots, name))
				if got != want {
					t.Errorf("root %s -> %q, want %q", name, got, want)
				}
			}
		})
	}
}
