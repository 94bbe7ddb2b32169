package builder

import (
	"os"
	"os/user"
	"path/filepath"
	"testing"
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
		if got := TrustedUser(u, tt.list); got != tt.want {
			t.Errorf("TrustedUser(%s, %q) = %v, want %v", u.Username, tt.list, got, tt.want)
		}
	}
}

func TestSameMachines(t *testing.T) {
	a, b := "ssh-ng://a x86_64-linux /k 1 1 - - -", "ssh://b - - 2"
	file := filepath.Join(t.TempDir(), "machines")
	os.WriteFile(file, []byte(a+"\n"+b+"\n"), 0o644)
	tests := []struct {
		setting string
		want    bool
	}{
		{a + " ; " + b, true},
		{"ssh-ng://a  x86_64-linux /k 1 1 - - -;ssh://b - - 2", true},
		{a, false},
		{"", false},
		{"@" + file, true},
		{"@/nonexistent/machines", false},
	}
	for _, tt := range tests {
		if got := sameMachines(tt.setting, []string{a, b}); got != tt.want {
			t.Errorf("sameMachines(%q) = %v, want %v", tt.setting, got, tt.want)
		}
	}
}
