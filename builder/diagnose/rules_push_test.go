package diagnose

import (
	"strings"
	"testing"

	"nixpass/builder"
)

func TestPushRule(t *testing.T) {
	const failed = "# push: reg:5000/a:v1: start\n# push: reg:5000/a:v1: failed: push to reg:5000 failed: not logged in, or the password is wrong: UNAUTHORIZED\n# push: reg:5000/a:v1: hint: Log in with `docker login reg:5000`.\n"
	cases := []struct {
		name, log string
		kind      builder.Kind
		msg, hint string
	}{
		{"failed", "building...\n" + failed, builder.KindPush, "push to reg:5000 failed: not logged in", "docker login reg:5000"},
		{"failed then pushed", failed + "# push: reg:5000/a:v1: start\n# push: reg:5000/a:v1: pushed sha256:ab (0 layers uploaded, 1 existing, 0 bytes)\n", builder.KindOK, "", ""},
		{"pushed", "# push: reg:5000/a:v1: start\n# push: reg:5000/a:v1: pushed sha256:ab (1 layers uploaded, 0 existing, 9 bytes)\n", builder.KindOK, "", ""},
		{"failed without hint", "# push: reg:5000/a:v1: failed: push to reg:5000 failed: boom\n", builder.KindPush, "boom", "nixpass push"},
		{"a user's line that looks alike", "echo '# push: is a comment'\n", builder.KindOK, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := Diagnose(tc.log, Evidence{})
			if d.Kind != tc.kind || !strings.Contains(d.Message, tc.msg) || !strings.Contains(d.Hint, tc.hint) {
				t.Errorf("got %s %q / %q; want %s with %q / %q", d.Kind, d.Message, d.Hint, tc.kind, tc.msg, tc.hint)
			}
		})
	}
}
