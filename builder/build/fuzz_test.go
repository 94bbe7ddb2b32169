package build

import (
	"strings"
	"testing"

	"nixpass/builder"
)

// FuzzProtocolLine: any line on the script's stdout is handled without a
// panic, and a well-formed "@nixpass KEY VALUE" line reports exactly its
// value.
func FuzzProtocolLine(f *testing.F) {
	for _, s := range []string{
		"@nixpass pid 123", "@nixpass uptime 12.5", "@nixpass phase evaluating",
		"@nixpass store-path /nix/store/abc-image.tar.gz", "@nixpass up-to-date",
		"@nixpass copied 1032046", "@nixpass signal 9", "@nixpass kmsg [  5.1] Out of memory: Killed process 12 (cc1)",
		"@nixpass error disk-full cp: No space left on device", "@nixpass error", "@nixpass ", "@nixpass",
		"not protocol", "@nixpass copied -1", "@nixpass uptime NaN", "@nixpass store-path /a b\x00c",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		r := &run{b: &Builder{}, p: builder.Project{Dir: "/p"}, res: &builder.Result{}}
		r.protocolLine(line)
		rest, ok := strings.CutPrefix(line, "@nixpass ")
		if !ok {
			return
		}
		key, val, _ := strings.Cut(rest, " ")
		switch key {
		case "store-path":
			if r.report.storePath != val {
				t.Fatalf("store-path %q reported as %q", val, r.report.storePath)
			}
		case "error":
			code, msg, _ := strings.Cut(val, " ")
			if r.report.errCode != code || r.report.errMsg != msg {
				t.Fatalf("error %q reported as %q %q", val, r.report.errCode, r.report.errMsg)
			}
		case "kmsg":
			if len(r.report.oom.kmsg) != 1 || r.report.oom.kmsg[0] != val {
				t.Fatalf("kmsg %q reported as %q", val, r.report.oom.kmsg)
			}
		}
	})
}
