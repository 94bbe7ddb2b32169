package script

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
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
