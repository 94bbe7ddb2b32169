package shq

import (
	"os/exec"
	"reflect"
	"strings"
	"testing"
)

var hostile = []string{
	"", "plain", "with space", "it's", `"double"`, "$(touch F)", "`touch F`", "a;b", "x\ny",
	"~/home", "*", "ünï cödé", `back\slash`, "=cmd", "-A", "a'b'c", "!bang", "#hash", "&amp",
}

// TestQuoteRoundTrip gives each word to a real shell and checks it comes
// back as exactly one, unchanged, argument.
func TestQuoteRoundTrip(t *testing.T) {
	cmd := "printf '%s\\0' " + Join(hostile...)
	out, err := exec.Command("sh", "-c", cmd).Output()
	if err != nil {
		t.Fatalf("sh -c %q: %v", cmd, err)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	if !reflect.DeepEqual(got, hostile) {
		t.Errorf("round trip:\n got %q\nwant %q", got, hostile)
	}
}

func TestQuoteKeepsPlainWordsBare(t *testing.T) {
	for in, want := range map[string]string{
		"nixpass":             "nixpass",
		"/home/ana/src/app":   "/home/ana/src/app",
		".#image":             "'.#image'",
		"--memory":            "--memory",
		"/Users/ana/My App":   "'/Users/ana/My App'",
		"it's":                `'it'\''s'`,
		"x86_64-linux":        "x86_64-linux",
		"user@host:/p,q=1+2%": "user@host:/p,q=1+2%",
	} {
		if got := Quote(in); got != want {
			t.Errorf("Quote(%q) = %s, want %s", in, got, want)
		}
	}
}
