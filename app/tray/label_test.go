//go:build linux

package tray

import "testing"

func TestMenuLabelKeepsUnderscores(t *testing.T) {
	for in, want := range map[string]string{"✓ my_api": "✓ my__api", "a__b": "a____b", "plain": "plain"} {
		if got := menuLabel(in); got != want {
			t.Errorf("menuLabel(%q) = %q, want %q", in, got, want)
		}
	}
}
