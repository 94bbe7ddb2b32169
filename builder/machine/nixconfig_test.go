package machine

import "testing"

// TestNixConfigEnv: settings are appended to the inherited NIX_CONFIG, one
// line each, so the caller's stay and ours come last (and win).
func TestNixConfigEnv(t *testing.T) {
	s := []Setting{{"substituters", "http://ci:tok@cache/"}, {"max-jobs", "0"}}
	tests := []struct {
		name, inherited string
		settings        []Setting
		want            []string
	}{
		{"none", "substituters =\n", nil, nil},
		{"nothing inherited", "", s, []string{"NIX_CONFIG=substituters = http://ci:tok@cache/\nmax-jobs = 0\n"}},
		{"appended", "substituters =\n", s, []string{"NIX_CONFIG=substituters =\nsubstituters = http://ci:tok@cache/\nmax-jobs = 0\n"}},
		{"no final newline", "cores = 2", s[1:], []string{"NIX_CONFIG=cores = 2\nmax-jobs = 0\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("NIX_CONFIG", tt.inherited)
			got := NixConfigEnv(tt.settings)
			if len(got) != len(tt.want) || (len(got) == 1 && got[0] != tt.want[0]) {
				t.Errorf("nixConfigEnv = %q, want %q", got, tt.want)
			}
		})
	}
}
