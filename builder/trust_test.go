package builder_test

import (
	"os/user"
	"testing"

	"nixpass/builder"
)

func TestTrusted(t *testing.T) {
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	g, err := user.LookupGroupId(u.Gid)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		list []string
		want bool
	}{
		{[]string{"root"}, u.Username == "root"},
		{[]string{"nobody-else"}, false},
		{[]string{"*"}, true},
		{[]string{"nobody-else", u.Username}, true},
		{[]string{"@" + g.Name}, true},
		{[]string{"@no-such-group-nixpass"}, false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := builder.TrustedUser(u, tt.list); got != tt.want {
			t.Errorf("TrustedUser(%s, %q) = %v, want %v", u.Username, tt.list, got, tt.want)
		}
	}
}
