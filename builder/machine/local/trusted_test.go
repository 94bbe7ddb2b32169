package local

import (
	"os"
	"path/filepath"
	"testing"
)

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
