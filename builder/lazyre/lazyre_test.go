package lazyre

import "testing"

func TestLazyMatchesLikeRegexp(t *testing.T) {
	r := New(`^a(\d+)$`)
	if r.re != nil {
		t.Fatal("compiled before first use")
	}
	tests := []struct {
		in   string
		want bool
		sub  string
	}{{"a12", true, "12"}, {"b12", false, ""}, {"a", false, ""}}
	for _, tc := range tests {
		if got := r.MatchString(tc.in); got != tc.want {
			t.Errorf("MatchString(%q) = %v, want %v", tc.in, got, tc.want)
		}
		if got := r.Match([]byte(tc.in)); got != tc.want {
			t.Errorf("Match(%q) = %v, want %v", tc.in, got, tc.want)
		}
		m := r.FindStringSubmatch(tc.in)
		if got := ""; len(m) > 1 {
			got = m[1]
			if got != tc.sub {
				t.Errorf("FindStringSubmatch(%q)[1] = %q, want %q", tc.in, got, tc.sub)
			}
		} else if tc.sub != "" {
			t.Errorf("FindStringSubmatch(%q) = %v, want a match", tc.in, m)
		}
	}
	if got := r.ReplaceAllString("a7", "x$1"); got != "x7" {
		t.Errorf("ReplaceAllString = %q, want x7", got)
	}
	if r.String() != `^a(\d+)$` {
		t.Errorf("String = %q", r.String())
	}
}
