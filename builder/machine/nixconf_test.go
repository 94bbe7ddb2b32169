package machine

import "testing"

func TestRemoteNixConf(t *testing.T) {
	zero, yes := 0, true
	tests := []struct {
		r    Remote
		want string
	}{
		{Remote{}, ""},
		{Remote{Builders: []string{"ssh-ng://a", "ssh://b x86_64-linux"}, UseSubstitutes: &yes, MaxJobs: &zero,
			Substituters: []string{"https://c1", "https://c2"}, TrustedPublicKeys: []string{"k1:AA==", "k2:BB=="}},
			"builders = ssh-ng://a ; ssh://b x86_64-linux\nbuilders-use-substitutes = true\nmax-jobs = 0\n" +
				"substituters = https://c1 https://c2\ntrusted-public-keys = k1:AA== k2:BB==\n"},
		// An empty list is a setting too: no binary caches at all.
		{Remote{Substituters: []string{}}, "substituters = \n"},
	}
	for _, tt := range tests {
		if got := tt.r.NixConf(); got != tt.want {
			t.Errorf("NixConf(%+v) =\n%q\nwant\n%q", tt.r, got, tt.want)
		}
		if tt.r.Empty() != (tt.want == "") {
			t.Errorf("Empty(%+v) = %v", tt.r, tt.r.Empty())
		}
	}
	if got := (Remote{Builders: []string{"ssh://a"}, MaxJobs: &zero}).Keys(); got != "builders and max_jobs" {
		t.Errorf("keys = %q, want the config keys set", got)
	}
}
