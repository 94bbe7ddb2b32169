package clean

import (
	"encoding/json"
	"testing"
)

func TestText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain text\n\twith tab", "plain text\n\twith tab"},
		{"a\x00b\x01c\x7fd", "abcd"},
		{"\x1b[31;1merror:\x1b[0m bad", "error: bad"},
		{"\x1b]0;title\x07after", "after"},
		{"\x1b]2;pwned\x1b\\x", "x"},
		{"\x1b[2J\x1b[Hclear", "clear"},
		{"progress\rover", "progress over"},
		{"crlf\r\nline", "crlf\nline"},
		{"bad \xff utf8", "bad \uFFFD utf8"},
		{"c1 \u009b here", "c1  here"},
		{"unicode ✓ stays", "unicode ✓ stays"},
	} {
		if got := Text(tc.in); got != tc.want {
			t.Errorf("Text(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestLine(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"app:v1", "app:v1"},
		{"evil\x1b]0;owned\x07:\x1b[2Jtag", "evil:tag"},
		{"two\nlines\tand tab", "two lines and tab"},
		{"sep\u2028line", "sep line"},
		{"ab\u202ecba\u202c", "abcba"},
		{"zero\u200bwidth\ufeff\u2066x\u2069", "zerowidthx"},
		{"/home/u/proj\x07ect", "/home/u/project"},
		{"naïve ✓", "naïve ✓"},
	} {
		if got := Line(tc.in); got != tc.want {
			t.Errorf("Line(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestJSONEscapesC1AndKeepsValues(t *testing.T) {
	for _, v := range []string{"plain", "c1 \u0085 \u009b \u0080 end", "é \u00a0 ✓", "\x1b[2J"} {
		b, err := json.Marshal(map[string]string{"image": v})
		if err != nil {
			t.Fatal(err)
		}
		out := JSON(b)
		for _, c := range string(out) {
			if isC1(c) {
				t.Errorf("JSON(%q) = %q still holds U+%04X", b, out, c)
			}
		}
		var back map[string]string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("JSON(%q) = %q is not JSON: %v", b, out, err)
		}
		if back["image"] != v {
			t.Errorf("value read back %q, want the exact %q", back["image"], v)
		}
	}
}
